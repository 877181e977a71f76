import Reactor

/// Hands messages to one SMTP server (`--smtp-url`) from a reactor loop, one connection
/// per message, like `HTTPClient`: the name is resolved off the loop, the connect and the
/// TLS handshake advance on readiness, and a deadline bounds the whole exchange. The
/// dialogue itself is `SMTPSession`'s. Confined to its loop, like everything on it.
public final class SMTPClient {
    public let loop: EventLoop
    public let url: SMTPURL
    private var tlsContext: TLSClientContext?
    private let helloName: String?

    public typealias Completion = (Result<Void, SMTPError>) -> Void

    /// `tls`: the context for smtps:// (by default the system CA store, made on first
    /// use). `helloName`: our name for EHLO; by default the host name when it is fully
    /// qualified, else the connection's own address as a literal (`HelloName`).
    public init(loop: EventLoop, url: SMTPURL, tls: TLSClientContext? = nil, helloName: String? = nil) {
        self.loop = loop
        self.url = url
        tlsContext = tls
        self.helloName = helloName
    }

    /// Sends `message`; `completion` runs on the loop exactly once: `.success` as soon as
    /// the server has accepted the message (the 250 after its data, RFC 5321 §4.1.1.4),
    /// while QUIT still goes out; else the first failure, or `.timeout` when the deadline
    /// passes first.
    public func send(_ message: EmailMessage, timeoutNanoseconds: UInt64 = 30_000_000_000, _ completion: @escaping Completion) {
        let loop = self.loop
        let url = self.url
        let credentials = url.credentials
        let confidential = url.implicitTLS || url.isLoopback
        do {
            try SMTPSession.checkCredentials(credentials, channelIsConfidential: confidential)
        } catch {
            loop.atEndOfTurn { completion(.failure(error)) }
            return
        }
        var tls: TLSClientContext?
        if url.implicitTLS {
            if tlsContext == nil {
                do { tlsContext = try TLSClientContext() } catch {
                    loop.atEndOfTurn { completion(.failure(.tls(error.description))) }
                    return
                }
            }
            tls = tlsContext
        }
        let exchange = SMTPExchange(loop: loop, completion: completion)
        exchange.deadline = loop.schedule(afterNanoseconds: timeoutNanoseconds) { [weak exchange] in
            exchange?.timedOut()
        }
        let helloName = self.helloName
        HostResolver.resolve(host: url.host, port: url.port, on: loop) { [exchange] result in
            guard !exchange.isReported else { return }
            switch result {
            case .failure(let error):
                exchange.finish(.failure(.connect("cannot resolve \(url.host): \(error.call)")))
            case .success(let address):
                do {
                    let connection = try TCPConnection.connect(to: address, on: loop, tls: tls, host: url.host)
                    let name = helloName ?? HelloName.forConnection(fd: connection.fd)
                    exchange.start(on: connection, session: try SMTPSession(message: message, helloName: name, credentials: credentials,
                                                                            channelIsConfidential: confidential))
                } catch let error as SMTPError {
                    exchange.finish(.failure(error))
                } catch {
                    exchange.finish(.failure(.connect("\(error)")))
                }
            }
        }
    }
}

/// One message's exchange on one connection.
private final class SMTPExchange: TCPConnectionDelegate {
    private unowned let loop: EventLoop
    private var completion: SMTPClient.Completion?
    private var session: SMTPSession?
    private var connection: TCPConnection?
    var deadline: TimerID?
    private var linger: TimerID?

    /// After the outcome, how long the connection may stay for QUIT's reply and the
    /// close (RFC 5321 §4.1.1.10: the client SHOULD wait for the 221).
    static let lingerNanoseconds: UInt64 = 2_000_000_000

    init(loop: EventLoop, completion: @escaping SMTPClient.Completion) {
        self.loop = loop
        self.completion = completion
    }

    var isReported: Bool { completion == nil }

    func start(on connection: TCPConnection, session: SMTPSession) {
        self.connection = connection
        self.session = session
        connection.delegate = self
        // The server speaks first (the 220 greeting, RFC 5321 §3.1): nothing to write yet.
    }

    /// Calls the completion, once.
    private func report(_ result: Result<Void, SMTPError>) {
        guard let completion else { return }
        self.completion = nil
        if let deadline { loop.cancel(deadline) }
        deadline = nil
        completion(result)
    }

    /// Reports and closes at once (no connection yet, or nothing more worth saying).
    func finish(_ result: Result<Void, SMTPError>) {
        report(result)
        closeNow()
    }

    func timedOut() {
        deadline = nil
        finish(.failure(.timeout))
    }

    private func closeNow() {
        if let linger { loop.cancel(linger) }
        linger = nil
        guard let connection else { return }
        self.connection = nil
        connection.delegate = nil
        connection.close()
    }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        guard var session else { return }
        let step = session.receive(bytes)
        self.session = session
        if !step.write.isEmpty { connection.send(step.write) }
        switch step.outcome {
        case .accepted?: report(.success(()))
        case .failed(let error)?: report(.failure(error))
        case nil: break
        }
        if step.outcome != nil || step.isOver { armLinger() }
        if step.isOver { connection.closeAfterFlush() }
    }

    /// Once the outcome is known, the connection gets a little while to finish politely.
    private func armLinger() {
        guard linger == nil else { return }
        linger = loop.schedule(afterNanoseconds: Self.lingerNanoseconds) { [weak self] in
            self?.linger = nil
            self?.closeNow()
        }
    }

    func connectionClosed(_ connection: TCPConnection) {
        self.connection = nil
        if let linger { loop.cancel(linger) }
        linger = nil
        switch connection.failure {
        case .connect(let why)?: report(.failure(.connect(why)))
        case .tls(let why)?: report(.failure(.tls(why)))
        case nil:
            if case .failed(let error)? = session?.connectionClosed() { report(.failure(error)) }
            report(.failure(.connect("the connection closed")))  // no-op once reported
        }
    }
}
