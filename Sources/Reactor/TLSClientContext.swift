import COpenSSL

/// TLS for outgoing connections (alert webhooks): TLS 1.2 or 1.3, the peer's chain
/// verified against the system CA store (or `caFile`), and its name checked against the
/// host the caller asked for. There is no switch to turn verification off.
public final class TLSClientContext: Sendable {
    /// The SSL_CTX, as an address (built once, read-only afterwards, thread-safe).
    private let context: UInt

    /// `caFile`: PEM certificates to trust instead of the system store (tests, private CAs).
    /// Without it OpenSSL's default paths are used, which also honour `SSL_CERT_FILE`.
    public init(caFile: String? = nil) throws(TLSContext.Failure) {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw TLSContext.Failure(description: "SSL_CTX_new: \(TLSContext.lastError())")
        }
        guard copenssl_ctx_set_min_tls12(ctx) == 1 else {
            SSL_CTX_free(ctx)
            throw TLSContext.Failure(description: "cannot require TLS 1.2: \(TLSContext.lastError())")
        }
        let loaded: Int32
        if let caFile {
            loaded = SSL_CTX_load_verify_locations(ctx, caFile, nil)
        } else {
            loaded = SSL_CTX_set_default_verify_paths(ctx)
        }
        guard loaded == 1 else {
            SSL_CTX_free(ctx)
            throw TLSContext.Failure(description: "CA certificates \(caFile ?? "(system)"): \(TLSContext.lastError())")
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        _ = copenssl_ctx_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        context = UInt(bitPattern: ctx)
    }

    deinit {
        SSL_CTX_free(OpaquePointer(bitPattern: context))
    }

    /// A client SSL for one connection to `host` (the caller owns it): SNI unless the host
    /// is an IP literal (RFC 6066 §3 forbids those), the expected name or address for
    /// verification, ALPN `http/1.1`.
    func makeSSL(host: String) -> OpaquePointer? {
        guard let ssl = SSL_new(OpaquePointer(bitPattern: context)) else { return nil }
        let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        if !isAddress { _ = copenssl_set_sni(ssl, host) }
        // SSL_set1_host checks DNS names and, for an address, the iPAddress entries.
        guard SSL_set1_host(ssl, host) == 1 else {
            SSL_free(ssl)
            return nil
        }
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = SSL_set_alpn_protos(ssl, alpn, UInt32(alpn.count))
        SSL_set_connect_state(ssl)
        return ssl
    }
}
