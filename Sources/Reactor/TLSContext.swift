import COpenSSL
import Synchronization

/// The server's TLS configuration: certificate chain and key (PEM), TLS 1.2 and 1.3,
/// ALPN `http/1.1`. `reload()` reads the files again (SIGHUP): connections made after it
/// use the new certificate, open ones keep theirs.
public final class TLSContext: Sendable {
    public let certificatePath: String
    public let keyPath: String
    /// The current SSL_CTX, as an address (OpenSSL contexts are reference counted and
    /// thread-safe once built).
    private let current: Mutex<UInt>

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What a connection that speaks plaintext to this TLS port is sent before it is
    /// closed (the application's words: an HTTP answer, say); empty: closed at once.
    public let plaintextAnswer: [UInt8]

    public init(certificatePath: String, keyPath: String, plaintextAnswer: [UInt8] = []) throws(Failure) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.plaintextAnswer = plaintextAnswer
        current = Mutex(UInt(bitPattern: try Self.build(certificatePath: certificatePath, keyPath: keyPath)))
    }

    deinit {
        SSL_CTX_free(OpaquePointer(bitPattern: current.withLock { $0 }))
    }

    /// Reads the certificate and key again; on failure the old ones stay in use.
    public func reload() throws(Failure) {
        let fresh = try Self.build(certificatePath: certificatePath, keyPath: keyPath)
        let old = current.withLock { value -> UInt in
            let old = value
            value = UInt(bitPattern: fresh)
            return old
        }
        SSL_CTX_free(OpaquePointer(bitPattern: old))
    }

    /// A new server-side SSL for one connection (the caller owns it).
    func makeSSL() -> OpaquePointer? {
        current.withLock { SSL_new(OpaquePointer(bitPattern: $0)) }
    }

    private static func build(certificatePath: String, keyPath: String) throws(Failure) -> OpaquePointer {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw Failure(description: "SSL_CTX_new: \(lastError())") }
        guard copenssl_ctx_set_min_tls12(ctx) == 1 else {
            SSL_CTX_free(ctx)
            throw Failure(description: "cannot require TLS 1.2: \(lastError())")
        }
        guard SSL_CTX_use_certificate_chain_file(ctx, certificatePath) == 1 else {
            SSL_CTX_free(ctx)
            throw Failure(description: "certificate \(certificatePath): \(lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, keyPath, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(ctx) == 1 else {
            SSL_CTX_free(ctx)
            throw Failure(description: "key \(keyPath): \(lastError())")
        }
        _ = copenssl_ctx_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        copenssl_ctx_use_http11_alpn(ctx)
        return ctx
    }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One connection's TLS state with memory BIOs: the reactor keeps the socket; ciphertext
/// read from it goes into `incoming`, what OpenSSL wants sent comes out of `outgoing`.
/// The handshake never blocks: it advances whenever bytes arrive.
final class TLSSession {
    private let ssl: OpaquePointer
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    private(set) var handshakeDone = false
    /// Plaintext written before the handshake finished, sent once it has.
    private var pendingPlaintext: [UInt8] = []

    enum ReadResult {
        case ok
        /// The peer sent something that is not TLS, or a fatal alert.
        case failed(String)
        /// close_notify from the peer.
        case closed
    }

    /// True on the connecting side (outgoing https://).
    let isClient: Bool

    /// The server's answer to a peer that does not speak TLS (`TLSContext.plaintextAnswer`).
    private(set) var plaintextAnswer: [UInt8] = []

    convenience init?(context: TLSContext) {
        guard let ssl = context.makeSSL() else { return nil }
        SSL_set_accept_state(ssl)
        self.init(ssl: ssl, isClient: false)
        plaintextAnswer = context.plaintextAnswer
    }

    convenience init?(client context: TLSClientContext, host: String) {
        guard let ssl = context.makeSSL(host: host) else { return nil }
        self.init(ssl: ssl, isClient: true)
    }

    private init?(ssl: OpaquePointer, isClient: Bool) {
        guard let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            return nil
        }
        self.ssl = ssl
        self.isClient = isClient
        incoming = rbio
        outgoing = wbio
        SSL_set_bio(ssl, rbio, wbio)  // the SSL owns both BIOs now
    }

    /// The client speaks first: this writes the ClientHello into `outgoing`.
    func startHandshake() {
        _ = SSL_do_handshake(ssl)
    }

    deinit { SSL_free(ssl) }

    /// Feeds ciphertext in; plaintext comes out through `deliver`.
    func receive(_ ciphertext: UnsafeRawBufferPointer, plaintextBuffer: UnsafeMutableRawBufferPointer,
                 deliver: (UnsafeRawBufferPointer) -> Void) -> ReadResult {
        var offset = 0
        while offset < ciphertext.count {
            let n = BIO_write(incoming, ciphertext.baseAddress! + offset, Int32(ciphertext.count - offset))
            guard n > 0 else { return .failed("BIO_write") }
            offset += Int(n)
        }
        if !handshakeDone {
            let rc = SSL_do_handshake(ssl)
            if rc != 1 {
                let error = SSL_get_error(ssl, rc)
                if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return .ok }
                return .failed(handshakeFailure())
            }
            handshakeDone = true
            if !pendingPlaintext.isEmpty {
                let pending = pendingPlaintext
                pendingPlaintext = []
                pending.withUnsafeBytes { write($0) }
            }
        }
        while true {
            let n = SSL_read(ssl, plaintextBuffer.baseAddress, Int32(plaintextBuffer.count))
            if n > 0 {
                deliver(UnsafeRawBufferPointer(start: plaintextBuffer.baseAddress, count: Int(n)))
                continue
            }
            let error = SSL_get_error(ssl, n)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return .ok }
            if error == SSL_ERROR_ZERO_RETURN { return .closed }
            return .failed(TLSContext.lastError())
        }
    }

    /// Why the handshake failed, in words: the certificate check's own reason when that
    /// is what failed ("unable to get local issuer certificate", "hostname mismatch").
    private func handshakeFailure() -> String {
        let queued = TLSContext.lastError()
        let verify = SSL_get_verify_result(ssl)
        guard isClient, verify != X509_V_OK, let reason = X509_verify_cert_error_string(verify) else { return queued }
        return "certificate verify failed: \(String(cString: reason))"
    }

    /// Encrypts plaintext (or holds it until the handshake is done).
    func write(_ plaintext: UnsafeRawBufferPointer) {
        guard handshakeDone else {
            pendingPlaintext.append(contentsOf: plaintext)
            return
        }
        var offset = 0
        while offset < plaintext.count {
            let n = SSL_write(ssl, plaintext.baseAddress! + offset, Int32(min(plaintext.count - offset, 1 << 30)))
            guard n > 0 else { return }
            offset += Int(n)
        }
    }

    /// A close_notify alert, for a clean end.
    func shutdown() {
        if handshakeDone { _ = SSL_shutdown(ssl) }
    }

    /// Ciphertext waiting to go to the socket.
    func takeOutgoing() -> OutboundBytes? {
        let pending = copenssl_bio_pending(outgoing)
        guard pending > 0 else { return nil }
        return OutboundBytes(count: Int(pending)) { out in
            _ = BIO_read(outgoing, out.baseAddress, Int32(pending))
        }
    }
}
