import HTTP1
import Reactor

/// One outgoing request.
public struct OutgoingRequest: Sendable {
    public var method: String
    public var url: OutgoingURL
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: String = "POST", url: OutgoingURL, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The request as written on the wire: `Host`, `Content-Length` and `Connection: close`
    /// are ours (one request per connection: webhooks are rare, and a fresh connection
    /// never meets a server that timed out our idle one).
    var serialized: [UInt8] {
        var text = "\(method) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
        for (name, value) in headers.fields { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(text.utf8) + body
    }
}

/// A small HTTP/1.1 client on a reactor loop, for the hub's outgoing webhooks. Nothing
/// blocks the loop: the name is resolved off it, the connect and the TLS handshake advance
/// on readiness, and a deadline bounds the whole exchange. https:// verifies the chain and
/// the host name (`TLSClientContext`). Confined to its loop, like everything on it.
public final class HTTPClient {
    public let loop: EventLoop
    private var tlsContext: TLSClientContext?

    /// `tls`: the context for https:// (by default the system CA store, made on first use).
    public init(loop: EventLoop, tls: TLSClientContext? = nil) {
        self.loop = loop
        tlsContext = tls
    }

    public typealias Completion = (Result<HTTPClientResponse, HTTPClientError>) -> Void

    /// Sends `request`; `completion` runs on the loop exactly once.
    public func send(_ request: OutgoingRequest, timeoutNanoseconds: UInt64 = 10_000_000_000, _ completion: @escaping Completion) {
        var tls: TLSClientContext?
        if request.url.isTLS {
            if tlsContext == nil {
                do { tlsContext = try TLSClientContext() } catch {
                    loop.atEndOfTurn { completion(.failure(.tls(error.description))) }
                    return
                }
            }
            tls = tlsContext
        }
        let exchange = OutgoingExchange(request: request, loop: loop, completion: completion)
        exchange.deadline = loop.schedule(afterNanoseconds: timeoutNanoseconds) { [weak exchange] in
            exchange?.finish(.failure(.timeout))
        }
        let loop = self.loop
        HostResolver.resolve(host: request.url.host, port: request.url.port, on: loop) { [exchange] result in
            guard !exchange.isFinished else { return }
            switch result {
            case .failure(let error):
                exchange.finish(.failure(.resolve(error.call)))
            case .success(let address):
                do {
                    let connection = try TCPConnection.connect(to: address, on: loop, tls: tls, host: request.url.host)
                    exchange.start(on: connection)
                } catch {
                    exchange.finish(.failure(.connect("\(error)")))
                }
            }
        }
    }
}

/// One request and its response on one connection.
private final class OutgoingExchange: TCPConnectionDelegate {
    private let request: OutgoingRequest
    private unowned let loop: EventLoop
    private let completion: HTTPClient.Completion
    private var parser = HTTPResponseParser()
    private var connection: TCPConnection?
    var deadline: TimerID?
    private(set) var isFinished = false

    init(request: OutgoingRequest, loop: EventLoop, completion: @escaping HTTPClient.Completion) {
        self.request = request
        self.loop = loop
        self.completion = completion
        parser.requestWasHead = request.method == "HEAD"
    }

    func start(on connection: TCPConnection) {
        self.connection = connection
        connection.delegate = self
        connection.send(request.serialized)
    }

    func finish(_ result: Result<HTTPClientResponse, HTTPClientError>) {
        guard !isFinished else { return }
        isFinished = true
        if let deadline { loop.cancel(deadline) }
        if let connection {
            connection.delegate = nil
            connection.close()
        }
        connection = nil
        completion(result)
    }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        parser.append(bytes)
        do {
            if let response = try parser.response() { finish(.success(response)) }
        } catch {
            finish(.failure(.badResponse("\(error)")))
        }
    }

    func connectionClosed(_ connection: TCPConnection) {
        switch connection.failure {
        case .connect(let why)?: finish(.failure(.connect(why)))
        case .tls(let why)?: finish(.failure(.tls(why)))
        case nil:
            do {
                if let response = try parser.response(atEndOfStream: true) {
                    finish(.success(response))
                } else {
                    finish(.failure(.badResponse("connection closed before a response")))
                }
            } catch {
                finish(.failure(.badResponse("\(error)")))
            }
        }
    }
}
