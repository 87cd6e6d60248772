-- Built-in HTTPS (ALLY_TLS=acme): the certificate cache of golang.org/x/crypto/acme/autocert
-- (the ACME account key, each domain's private key and certificate chain, as PEM), kept in
-- the database so every instance serves, and renews, the same certificates.
CREATE TABLE tls_certificates (
    name       TEXT PRIMARY KEY,
    data       BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);
