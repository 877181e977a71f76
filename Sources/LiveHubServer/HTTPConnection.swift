import HTTP1
import Reactor
import WebSocket

/// A client connection while it speaks HTTP/1.1: requests in, responses out, in order,
/// until it closes or upgrades to WebSocket.
final class HTTPConnection: ManagedConnection, TCPConnectionDelegate {
    let tcp: TCPConnection
    unowned let context: LoopContext
    private var parser: HTTPRequestParser
    private var lastActivity: UInt64
    private var requestStartedAt: UInt64 = 0
    /// Set once the connection will close: nothing more is read or answered.
    private var closingDeadline: UInt64?

    init(tcp: TCPConnection, context: LoopContext) {
        self.tcp = tcp
        self.context = context
        let configuration = context.configuration
        parser = HTTPRequestParser(limits: .init(maxHeadSize: configuration.maxHeadSize, maxBodySize: configuration.maxBodySize))
        lastActivity = context.loop.turnTime
    }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        guard closingDeadline == nil else { return }
        let now = context.loop.turnTime
        lastActivity = now
        if !parser.isMidRequest { requestStartedAt = now }
        parser.append(bytes)
        while closingDeadline == nil {
            let event: HTTPParserEvent?
            do {
                event = try parser.next()
            } catch {
                fail(APIError(error))
                return
            }
            guard let event else { break }
            switch event {
            case .expectsContinue:
                tcp.send(HTTPResponse(status: .continue_).serialize(keepAlive: true))
            case .request(let request):
                if !handle(request) { return }
                requestStartedAt = now
            }
        }
    }

    /// Answers one request. Returns false once this object no longer reads the connection.
    private func handle(_ request: HTTPRequest) -> Bool {
        switch context.router.route(request) {
        case .respond(let response):
            let keepAlive = request.head.keepAlive
            tcp.send(response.serialize(keepAlive: keepAlive, headOnly: request.head.method == "HEAD"))
            if !keepAlive { closeAfterFlush() }
            return keepAlive
        case .upgrade(let endpoint, let response):
            tcp.send(response.serialize(keepAlive: true))
            let webSocket = WebSocketEndpointConnection(tcp: tcp, context: context, endpoint: endpoint)
            tcp.delegate = webSocket
            context.replace(self, with: webSocket)
            webSocket.start(initialBytes: parser.takeUnconsumed())
            return false
        }
    }

    private func fail(_ error: APIError) {
        tcp.send(error.response.serialize(keepAlive: false))
        closeAfterFlush()
    }

    private func closeAfterFlush() {
        closingDeadline = context.loop.turnTime + context.configuration.closeTimeout
        tcp.closeAfterFlush()
    }

    func connectionClosed(_ connection: TCPConnection) {
        context.remove(self)
    }

    override func tick(now: UInt64) {
        let configuration = context.configuration
        if let deadline = closingDeadline {
            if now >= deadline { tcp.close() }
        } else if parser.isMidRequest {
            if now - requestStartedAt > configuration.requestTimeout {
                fail(APIError(.requestTimeout, code: "request_timeout", message: "the request did not arrive in time"))
            }
        } else if now - lastActivity > configuration.keepAliveTimeout {
            tcp.close()
        }
    }

    override func beginShutdown() {
        if parser.isMidRequest {
            fail(APIError(.serviceUnavailable, code: "shutting_down", message: "the server is stopping"))
        } else {
            tcp.close()
        }
    }
}
