package com.acme;

class UserDaoTest {
    void exportIgnoresErrors() {
        try { new UserDao(null).export(); } catch (RuntimeException e) { }
        try { throw new RuntimeException(); } catch (RuntimeException e) { e.printStackTrace(); }
    }
}
