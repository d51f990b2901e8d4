package com.acme;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;

/** Data access for users. Ünïcode in docs: café, naïve, 😀. */
public class UserDao {
    private final Connection conn;

    public UserDao(Connection conn) {
        this.conn = conn;
    }

    public ResultSet byName(String name) throws SQLException {
        Statement st = conn.createStatement();
        return st.executeQuery("SELECT * FROM users WHERE name = '" + name + "'");
    }

    public ResultSet byId(long id) throws SQLException {
        PreparedStatement ps = conn.prepareStatement("SELECT * FROM users WHERE id = ?");
        ps.setLong(1, id);
        return ps.executeQuery();
    }

    public void rename(String oldName, String newName) throws SQLException {
        conn.prepareStatement("UPDATE users SET name = '" + newName + "' WHERE name = ?").execute();
    }

    public byte[] hash(String password) throws Exception {
        byte[] weak = MessageDigest.getInstance("MD5").digest(password.getBytes());
        MessageDigest strong = MessageDigest.getInstance("SHA-256");
        MessageDigest legacy = MessageDigest.getInstance("SHA-1");
        return strong.digest(weak);
    }

    public void export() {
        try {
            write();
        } catch (IOException e) {
        }
        try {
            write();
        } catch (IOException e) {
            e.printStackTrace();
        }
        try {
            write();
        } catch (IOException ignored) {
            // the export is best effort; the next run retries
        }
    }

    private void write() throws IOException {}

    static class TrustAll implements X509TrustManager {
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    static class AnyHost implements HostnameVerifier {
        public boolean verify(String host, SSLSession session) { return true; }
    }

    static class KnownHost implements HostnameVerifier {
        public boolean verify(String host, SSLSession session) { return "api.acme.com".equals(host); }
    }
}
