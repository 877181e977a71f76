#ifndef COPENSSL_H
#define COPENSSL_H
// System OpenSSL (libssl-dev): SHA-1 for the WebSocket handshake, HMAC for tokens and
// webhooks, TLS for wss:// and https://.
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

// Macros Swift cannot import.
static inline int copenssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}
static inline long copenssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long copenssl_bio_pending(BIO *bio) { return (long)BIO_ctrl_pending(bio); }

// ALPN (RFC 7301): the server speaks only http/1.1 (WebSocket upgrades ride on it).
static int copenssl_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                const unsigned char *in, unsigned int inlen, void *arg) {
    static const unsigned char ours[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    (void)ssl; (void)arg;
    if (SSL_select_next_proto((unsigned char **)out, outlen, ours, sizeof ours, in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}
static inline void copenssl_ctx_use_http11_alpn(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, copenssl_alpn_select, NULL);
}

// Client side (outgoing https://): SNI (RFC 6066 §3) is a macro over SSL_ctrl.
static inline int copenssl_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
#endif
