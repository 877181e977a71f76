import HTTP1
import Reactor
import WebSocket

/// A client connection while it speaks HTTP/1.1: requests in, responses out, in order,
/// until it closes or upgrades to WebSocket. Pipelined requests the hub or the money
/// engine must answer are sent on together (up to `maxInFlight`), so one connection's
/// writes share a commit; their answers are written in request order (RFC 9112 §9.3.2).
final class HTTPConnection: ManagedConnection, TCPConnectionDelegate {
    let tcp: TCPConnection
    unowned let context: LoopContext
    private var parser: HTTPRequestParser
    private var lastActivity: UInt64
    private var requestStartedAt: UInt64 = 0
    /// Set once the connection will close: nothing more is read or answered.
    private var closingDeadline: UInt64?
    /// Requests answered or waiting for their answer, oldest first; the oldest leave as
    /// soon as they are answered.
    private var inFlight: [PendingAnswer] = []
    /// An upgrade or an export that came behind answers still on their way: handled once
    /// they are out.
    private var pendingUpgrade: HTTPRequest?
    /// The streamed export being written, if one is: no further request is read until it
    /// has ended (its answer has no length: what follows it is its own).
    private var export: StreamedExport?
    static let maxInFlight = 64

    private struct PendingAnswer {
        var token: UInt64
        var keepAlive: Bool
        var headOnly: Bool
        var headers: HTTPHeaders
        var response: HTTPResponse?
    }

    private struct StreamedExport {
        let channel: ExportChannel
        let head: HTTPResponse
        let keepAlive: Bool
        var headSent = false
        /// Since when bytes have been queued that the socket has not taken (nil while the
        /// queue is empty): a client that takes nothing for `ExportService.stallLimit` is closed.
        var waitingSince: UInt64?
    }
    /// The peer's address without the port.
    private(set) lazy var peerIP: String = {
        let address = tcp.peerAddress
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon]).trimmingCharacters(in: "[]")
    }()

    private lazy var peerRateKey = ClientLimits.key(peerIP)
    /// What is stored and shown of the peer's address (`--ip-privacy`), worked out once.
    private lazy var peerKeptIP = context.configuration.ipPrivacy.kept(peerIP)

    /// The client's address as beacons record it and rate limits count it: the peer, or
    /// what a trusted proxy says in `X-Forwarded-For`.
    private func client(of request: HTTPRequest) -> ClientAddressing {
        let trusted = context.configuration.trustedProxies
        guard !trusted.isEmpty else { return ClientAddressing(ip: peerIP, rateKey: peerRateKey, keptIP: peerKeptIP) }
        let ip = ClientAddress.client(peer: peerIP, forwardedFor: request.head.headers.values("X-Forwarded-For").joined(separator: ","), trusted: trusted)
        return ip == peerIP ? ClientAddressing(ip: peerIP, rateKey: peerRateKey, keptIP: peerKeptIP)
            : ClientAddressing(ip: ip, rateKey: ClientLimits.key(ip), keptIP: context.configuration.ipPrivacy.kept(ip))
    }

    /// Came through `--internal-address`.
    let isInternal: Bool

    init(tcp: TCPConnection, context: LoopContext, internal isInternal: Bool = false) {
        self.tcp = tcp
        self.context = context
        self.isInternal = isInternal
        let configuration = context.configuration
        parser = HTTPRequestParser(limits: .init(maxHeadSize: configuration.maxHeadSize, maxBodySize: configuration.maxBodySize))
        lastActivity = context.loop.turnTime
        acceptedAt = context.loop.turnTime
    }

    /// When the connection was accepted (loop time).
    let acceptedAt: UInt64

    /// A request has come and its answer is owed (the connection is not an idle socket).
    var isBeingServed: Bool { !inFlight.isEmpty || export != nil }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        guard closingDeadline == nil else { return }
        let now = context.loop.turnTime
        lastActivity = now
        quietSince = nil
        if !parser.isMidRequest { requestStartedAt = now }
        parser.append(bytes)
        processRequests()
    }

    /// Set while reading is paused because the client does not read its answers.
    private var pausedSince: UInt64?
    /// Set while reading is paused because `maxInFlight` answers are owed.
    private var pausedForAnswers = false

    private func processRequests() {
        while closingDeadline == nil && pendingUpgrade == nil && export == nil {
            // A request that closes the connection is the last one read.
            if let last = inFlight.last, !last.keepAlive { return }
            // As many answers owed as one connection may have: not read until some leave.
            if inFlight.count >= Self.maxInFlight {
                if !pausedForAnswers {
                    pausedForAnswers = true
                    tcp.pauseReading()
                }
                return
            }
            // Backpressure: a client that pipelines requests without reading the answers
            // is not read until they drain; if they never do, the tick closes it.
            if tcp.queuedBytes > context.configuration.highWatermark {
                if pausedSince == nil {
                    pausedSince = context.loop.turnTime
                    tcp.pauseReading()
                    tcp.notifyWhenDrained()
                }
                return
            }
            let event: HTTPParserEvent?
            do {
                event = try parser.next()
            } catch {
                if inFlight.isEmpty {
                    fail(APIError(error))
                } else {
                    // After the answers before it, then the connection closes.
                    inFlight.append(PendingAnswer(token: 0, keepAlive: false, headOnly: false, headers: HTTPHeaders(), response: APIError(error).response))
                }
                return
            }
            guard let event else { break }
            switch event {
            case .expectsContinue:
                // Not ahead of answers still owed (they come first, in order).
                if inFlight.isEmpty { tcp.send(HTTPResponse(status: .continue_).serialize(keepAlive: true)) }
            case .request(let request):
                if !handle(request) { return }
                requestStartedAt = context.loop.turnTime
            }
        }
    }

    /// Answers one request. Returns false once this object no longer reads the connection.
    private func handle(_ request: HTTPRequest) -> Bool {
        let keepAlive = request.head.keepAlive
        let headOnly = request.head.method == "HEAD"
        let addressing = client(of: request)
        switch context.router.route(request, client: addressing, now: context.loop.turnTime, internal: isInternal) {
        case .respond(let response):
            if inFlight.isEmpty { return respond(response, keepAlive: keepAlive, headOnly: headOnly) }
            inFlight.append(PendingAnswer(token: 0, keepAlive: keepAlive, headOnly: headOnly, headers: HTTPHeaders(), response: response))
            return true
        case .hub(let command, let extraHeaders):
            let token = context.hubClient.nextReplyToken()
            if var response = context.hubClient.submit(command, replyTo: self, token: token) {
                for (name, value) in extraHeaders { response.headers.add(name: name, value: value) }
                if inFlight.isEmpty { return respond(response, keepAlive: keepAlive, headOnly: headOnly) }
                inFlight.append(PendingAnswer(token: 0, keepAlive: keepAlive, headOnly: headOnly, headers: HTTPHeaders(), response: response))
                return true
            }
            inFlight.append(PendingAnswer(token: token, keepAlive: keepAlive, headOnly: headOnly, headers: extraHeaders, response: nil))
            return true
        case .upgrade(let endpoint, let response, let deflate):
            guard inFlight.isEmpty else {
                pendingUpgrade = request
                return false
            }
            tcp.send(response.serialize(keepAlive: true))
            context.counters.countResponse(status: response.status.code)
            tcp.markQueuedAsPromised()
            hasBeenAnswered = true  // a slow-consumer close must come after the 101
            let webSocket = WebSocketEndpointConnection(tcp: tcp, context: context, endpoint: endpoint, deflate: deflate,
                                                        client: addressing, userAgent: try? Beacon.userAgent(request.head.headers["User-Agent"]))
            tcp.delegate = webSocket
            context.replace(self, with: webSocket)
            webSocket.start(initialBytes: parser.takeUnconsumed())
            return false
        case .export(let query, let headers):
            guard inFlight.isEmpty else {
                pendingUpgrade = request
                return false
            }
            return startExport(query, headers: headers, keepAlive: keepAlive, headOnly: headOnly)
        }
    }

    // MARK: streamed exports

    /// Starts the export's reader (`ExportService`), or answers 503 when as many run as may.
    /// Returns false while the export is being written: requests behind it wait.
    private func startExport(_ query: ExportQuery, headers: HTTPHeaders, keepAlive: Bool, headOnly: Bool) -> Bool {
        var head = query.head
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if headOnly {
            // HEAD: the head a GET would get, no body, nothing read (RFC 9110 §9.3.2).
            hasBeenAnswered = true
            context.counters.countResponse(status: head.status.code)
            tcp.send(head.serializeChunkedHead(keepAlive: keepAlive, always: SecurityHeaders.everyAnswer))
            return answered(keepAlive: keepAlive)
        }
        let channel = ExportChannel(loop: context.loop.handle, connection: self)
        guard context.shared.exports.start(query, into: channel) else {
            return respond(ExportService.busy.response, keepAlive: keepAlive, headOnly: false)
        }
        export = StreamedExport(channel: channel, head: head, keepAlive: keepAlive)
        // Nothing more is read until the export ends; a client that leaves is still seen
        // (the kernel reports the reset, or the next write fails).
        tcp.pauseReading()
        return false
    }

    /// A page of the export (or its failure), from its reader, on this loop.
    func exportDelivered(_ delivery: ExportDelivery, from channel: ExportChannel) {
        guard var export, export.channel === channel, !tcp.isClosed else { return }
        switch delivery {
        case .bytes(let bytes, let last):
            if !export.headSent {
                export.headSent = true
                hasBeenAnswered = true
                context.counters.countResponse(status: export.head.status.code)
                tcp.send(export.head.serializeChunkedHead(keepAlive: export.keepAlive, always: SecurityHeaders.everyAnswer))
            }
            if export.waitingSince == nil { export.waitingSince = context.loop.turnTime }
            tcp.send(bytes)
            channel.queued()
            tcp.notifyWhenDrained()
            self.export = export
            if last {
                self.export = nil
                endExport(keepAlive: answered(keepAlive: export.keepAlive))
            }
        case .failed(let error):
            self.export = nil
            guard export.headSent else { return endExport(keepAlive: respond(error.response, keepAlive: export.keepAlive, headOnly: false)) }
            // Too late for a status: the body ends without its last chunk, which tells the
            // client it is incomplete (RFC 9112 §8).
            tcp.close()
        }
    }

    /// The export's answer is queued whole: the next request may be read.
    private func endExport(keepAlive: Bool) {
        guard keepAlive, !tcp.isClosed else { return }
        if pausedSince == nil && !pausedForAnswers { tcp.resumeReading() }
        processRequests()
    }

    /// The answer to the request with `token`, from the hub or the money engine. Answers
    /// leave in request order: this one waits for those before it.
    func hubReplied(_ response: HTTPResponse, token: UInt64) {
        guard !tcp.isClosed, let i = inFlight.firstIndex(where: { $0.token == token && $0.response == nil }) else { return }
        var response = response
        for (name, value) in inFlight[i].headers { response.headers.add(name: name, value: value) }
        inFlight[i].response = response
        var open = true
        while let first = inFlight.first, let ready = first.response {
            inFlight.removeFirst()
            open = respond(ready, keepAlive: first.keepAlive, headOnly: first.headOnly) && open
        }
        guard open else { return }
        if pausedForAnswers && inFlight.count < Self.maxInFlight {
            pausedForAnswers = false
            if pausedSince == nil { tcp.resumeReading() }
        }
        if inFlight.isEmpty, let upgrade = pendingUpgrade {
            pendingUpgrade = nil
            if !handle(upgrade) { return }
        }
        processRequests()
    }

    /// Whether any request here has been answered (or upgraded): until then the
    /// connection is the first to go when the loop is at its connection limit.
    private(set) var hasBeenAnswered = false

    /// Since when every answer owed has been sent and the client has sent nothing more:
    /// it is reading them (slowly, perhaps: what the kernel holds unsent is not seen here)
    /// or idling between requests. Nil while a request is on its way or being answered.
    private(set) var quietSince: UInt64?

    private func respond(_ response: HTTPResponse, keepAlive: Bool, headOnly: Bool) -> Bool {
        hasBeenAnswered = true
        context.counters.countResponse(status: response.status.code)
        tcp.send(response.serialize(keepAlive: keepAlive, headOnly: headOnly, always: SecurityHeaders.everyAnswer))
        return answered(keepAlive: keepAlive)
    }

    /// After an answer is queued: quiet, or closing if it was the last.
    private func answered(keepAlive: Bool) -> Bool {
        if inFlight.isEmpty && !parser.isMidRequest && keepAlive && !tcp.isClosed {
            quietSince = context.loop.turnTime
            context.noteQuiet(self)
        }
        if !keepAlive { closeAfterFlush() }
        return keepAlive
    }

    private func fail(_ error: APIError) {
        context.counters.countResponse(status: error.status.code)
        tcp.send(error.response.serialize(keepAlive: false, always: SecurityHeaders.everyAnswer))
        closeAfterFlush()
    }

    private func closeAfterFlush() {
        closingDeadline = context.loop.turnTime + context.configuration.closeTimeout.nanoseconds
        tcp.closeAfterFlush()
    }

    func connectionDrained(_ connection: TCPConnection) {
        if let export {
            // The socket took every page queued: the reader may read on.
            export.channel.drained()
            self.export?.waitingSince = nil
        }
        guard pausedSince != nil else { return }
        pausedSince = nil
        if !pausedForAnswers && export == nil { tcp.resumeReading() }
        processRequests()
    }

    func connectionClosed(_ connection: TCPConnection) {
        // The client left (or was closed): its export's reader stops at its next page.
        export?.channel.cancel()
        export = nil
        if !inFlight.isEmpty { context.hubClient.forget(self) }
        context.remove(self)
    }

    override func tick(now: UInt64) {
        let configuration = context.configuration
        if let deadline = closingDeadline {
            if now >= deadline { tcp.close() }
        } else if tcp.isHandshaking {
            // A TLS handshake gets as long as a request head.
            if now - lastActivity > configuration.requestTimeout.nanoseconds { tcp.close() }
        } else if let export {
            if let since = export.waitingSince, now - since > ExportService.stallLimit.nanoseconds {
                context.counters.unreadAnswerCloses.bump()
                tcp.close()  // it stopped reading the export: its reader stops too
            }
        } else if let paused = pausedSince {
            if now - paused > configuration.requestTimeout.nanoseconds {
                context.counters.unreadAnswerCloses.bump()
                tcp.close()  // its answers were never read: they are dropped with it
            }
        } else if !inFlight.isEmpty {
            return  // the hub answers; its loop's health shows in /metrics
        } else if parser.isMidRequest {
            if now - requestStartedAt > configuration.requestTimeout.nanoseconds {
                fail(APIError(.requestTimeout, code: "request_timeout", message: "the request did not arrive in time"))
            }
        } else if now - lastActivity > configuration.keepAliveTimeout.nanoseconds {
            tcp.close()
        }
    }

    override func beginShutdown() {
        if let export {
            export.channel.cancel()
            self.export = nil
            if export.headSent { return tcp.close() }
            return fail(APIError(.serviceUnavailable, code: "shutting_down", message: "the server is stopping"))
        }
        if parser.isMidRequest || !inFlight.isEmpty {
            fail(APIError(.serviceUnavailable, code: "shutting_down", message: "the server is stopping"))
        } else {
            tcp.close()
        }
    }
}
