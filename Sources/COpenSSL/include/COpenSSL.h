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
#endif
