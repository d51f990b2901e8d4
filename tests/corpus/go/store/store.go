package store

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"unicode/utf8"
)

// Store wraps the database; "ünïcode" comments must not shift columns: é à ü 😀.
type Store struct {
	db *sql.DB
}

var insecure = &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}}
var secure = &tls.Config{InsecureSkipVerify: false, MinVersion: tls.VersionTLS12}

func (s *Store) Find(ctx context.Context, name string) (*sql.Rows, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM users WHERE name = $1", name)
	if err != nil {
		return nil, err
	}
	_ = rows.Close()
	return s.db.Query(fmt.Sprintf("SELECT id FROM users WHERE name = '%s'", name))
}

func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM users WHERE id = "+id)
	return err
}

func Port(s string) int {
	n, _ := strconv.Atoi(s)
	r, _ := utf8.DecodeRuneInString(s)
	_ = fmt.Sprint(r)
	return n
}

func Checksums(paths []string, t *http.Transport) ([][16]byte, error) {
	t.TLSClientConfig.InsecureSkipVerify = true
	var out [][16]byte
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		for i := 0; i < 2; i++ {
			defer fmt.Println("nested", i)
		}
		func() {
			defer fmt.Println("scoped")
		}()
		b, _ := os.ReadFile(p)
		out = append(out, md5.Sum(b))
	}
	_ = sha1.New()
	_ = sha256.Sum256(nil)
	defer fmt.Println("done")
	return out, nil
}
