import Glibc
import Testing
@testable import LiveHubServer

@Suite("HTTP over a real socket", .serialized)
struct HTTPServerTests {
    @Test func healthAndNotFoundAndMethods() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        let health = try client.readResponse()
        #expect(health.status == 200)
        #expect(health.body == "{\"status\":\"ok\"}")
        client.write("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
        let missing = try client.readResponse()
        #expect(missing.status == 404)
        #expect(missing.body == "{\"error\":{\"code\":\"not_found\",\"message\":\"no route for /nope\"}}")
        client.write("POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        let wrongMethod = try client.readResponse()
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.head.contains("Allow: GET, HEAD"))
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try client.readResponse().status == 404)
        let last = try client.readResponse()
        #expect(last.status == 200)
        #expect(last.head.contains("Connection: close"))
        #expect(client.readUntilEOF())
    }

    @Test func oversizedHeadIs431AndTheConnectionCloses() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("GET / HTTP/1.1\r\nHost: t\r\nX: " + String(repeating: "a", count: 20_000) + "\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 431)
        #expect(response.body.contains("\"code\":\"head_too_large\""))
        #expect(client.readUntilEOF())
    }

    @Test func oversizedBodyIs413BeforeItIsSent() throws {
        let running = try RunningServer { $0.maxBodySize = 1000 }
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n")
        #expect(try client.readResponse().status == 413)
    }

    @Test func garbageIs400() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("\u{16}\u{03}\u{01}\u{02}\u{00}hello\r\n\r\n")
        #expect(try client.readResponse().status == 400)
        #expect(client.readUntilEOF())
    }

    @Test func aStalledRequestIsTimedOutWith408() throws {
        let running = try RunningServer { $0.requestTimeout = .milliseconds(200) }
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("GET /healthz HTTP/1.1\r\nHost: t\r\n")  // never finished
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(client.readUntilEOF())
    }

    @Test func metricsCountConnections() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        let metrics = try client.readResponse()
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("livehub_connections_open 1\n"))
        #expect(metrics.body.contains("# TYPE livehub_messages_in_total counter"))
        #expect(metrics.body.contains("livehub_loop_lag_seconds{loop=\"1\"}"))
    }
}

@Suite("WebSocket endpoints over a real socket", .serialized)
struct WebSocketServerTests {
    @Test func echoTextAndBinary() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        try client.upgrade(path: "/ws/echo")
        client.sendText("héllo")
        let text = try client.readFrame()
        #expect(text.opcode == 1)
        #expect(text.payload == Array("héllo".utf8))
        client.sendFrame(opcode: 2, Array(repeating: 7, count: 300))
        let binary = try client.readFrame()
        #expect(binary.opcode == 2)
        #expect(binary.payload == Array(repeating: 7, count: 300))
    }

    @Test func testEndpointsAreOffByDefault() throws {
        let running = try RunningServer { $0.testEndpoints = false }
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("GET /ws/echo HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 404)
    }

    @Test func plainGetOnAWebSocketPathIs426() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        client.write("GET /ws/echo HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 426)
        #expect(response.head.contains("Upgrade: websocket"))
    }

    @Test func broadcastReachesEveryOtherConnectionOnEveryLoop() throws {
        let running = try RunningServer()
        defer { running.stop() }
        // Enough connections that the kernel spreads them over both loops.
        let clients = try (0..<8).map { _ in try TestClient(port: running.port) }
        for client in clients { try client.upgrade(path: "/ws/broadcast") }
        // Handshakes are answered after the connection joined the room: no race.
        clients[0].sendText("pub:hello all")
        for client in clients.dropFirst() {
            let frame = try client.readFrame()
            #expect(frame.opcode == 1)
            #expect(frame.payload == Array("hello all".utf8))
        }
        // The publisher does not get its own message: the next thing it sees is the echo
        // of its ping.
        clients[0].sendFrame(opcode: 9, Array("p".utf8))
        let next = try clients[0].readFrame()
        #expect(next.opcode == 0xA)
    }

    /// 200 messages in one write are read in one turn: the room writes each subscriber
    /// its share at the end of it (more frames than one sendmsg's iovecs), in order, and
    /// none to the publisher.
    @Test func messagesOfOneTurnReachEverySubscriberInOrder() throws {
        let running = try RunningServer { $0.loops = 1 }
        defer { running.stop() }
        let subscribers = try (0..<3).map { _ in try TestClient(port: running.port) }
        for subscriber in subscribers { try subscriber.upgrade(path: "/ws/broadcast") }
        let publisher = try TestClient(port: running.port)
        try publisher.upgrade(path: "/ws/broadcast")
        publisher.write((0..<200).flatMap { TestClient.maskedFrame(opcode: 1, Array("pub:m\($0)".utf8)) })
        for subscriber in subscribers {
            let received = try (0..<200).map { _ in String(decoding: try subscriber.readFrame().payload, as: UTF8.self) }
            #expect(received == (0..<200).map { "m\($0)" })
        }
        publisher.sendFrame(opcode: 9, Array("p".utf8))
        #expect(try publisher.readFrame().opcode == 0xA)
    }

    @Test func protocolErrorClosesWith1002() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        try client.upgrade(path: "/ws/echo")
        client.write([0x81, 0x02, 0x68, 0x69])  // unmasked
        let close = try client.readFrame()
        #expect(close.opcode == 8)
        #expect(close.payload.prefix(2) == [0x03, 0xEA])
        #expect(client.readUntilEOF())
    }

    @Test func idleConnectionsArePingedAndDeadOnesClosed() throws {
        let running = try RunningServer { $0.pingInterval = .milliseconds(300) }
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        try client.upgrade(path: "/ws/echo")
        let ping = try client.readFrame()
        #expect(ping.opcode == 9)
        // No pong: the server gives up with 4009 and closes.
        let close = try client.readFrame()
        #expect(close.opcode == 8)
        #expect(close.payload.prefix(2) == [0x0F, 0xA9])
    }

    @Test func aClientThatStopsReadingIsDisconnectedAndOthersKeepGoing() throws {
        let running = try RunningServer {
            $0.loops = 1
            $0.maxBackpressure = 64 * 1024
        }
        defer { running.stop() }
        let stuck = try TestClient(port: running.port, receiveBuffer: 4096)
        try stuck.upgrade(path: "/ws/broadcast")
        let reader = try TestClient(port: running.port)
        try reader.upgrade(path: "/ws/broadcast")
        let publisher = try TestClient(port: running.port)
        try publisher.upgrade(path: "/ws/broadcast")
        let payload = "pub:" + String(repeating: "x", count: 8000)
        // `stuck` never reads; `reader` reads everything.
        for _ in 0..<1200 {
            publisher.sendText(payload)
            _ = try reader.readFrame()
        }
        let metrics = try TestClient(port: running.port)
        metrics.write("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        let body = try metrics.readResponse().body
        #expect(body.contains("livehub_slow_consumer_closes_total 1\n"))
        // What the server still holds for `stuck` is bounded: it was disconnected.
        #expect(stuck.readUntilEOF())
    }

    @Test func shutdownSendsGoingAway() throws {
        let running = try RunningServer()
        do {
            let client = try TestClient(port: running.port)
            try client.upgrade(path: "/ws/echo")
            running.server.shutdown()
            let close = try client.readFrame()
            #expect(close.opcode == 8)
            #expect(close.payload.prefix(2) == [0x03, 0xE9])
            client.sendFrame(opcode: 8, [0x03, 0xE9])
            // The server closes its side after the close handshake (RFC 6455 §7.1.1).
            #expect(client.readUntilEOF())
        }
        running.server.wait()
    }
}

@Suite("Configuration values")
struct ConfigValueTests {
    @Test func durations() {
        #expect(ConfigValue.duration("250ms") == .milliseconds(250))
        #expect(ConfigValue.duration("30s") == .seconds(30))
        #expect(ConfigValue.duration("5m") == .seconds(300))
        #expect(ConfigValue.duration("24h") == .seconds(86_400))
        #expect(ConfigValue.duration("30") == nil)
        #expect(ConfigValue.duration("-1s") == nil)
        #expect(ConfigValue.duration("+1s") == nil)
        // No more than the reactor's UInt64 of nanoseconds holds (about 584 years).
        #expect(ConfigValue.duration("200000d") == .seconds(200_000 * 86_400))
        #expect(ConfigValue.duration("300000d") == nil)
        // Each layer's unit, converted in one place.
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000 && Duration.milliseconds(1500).milliseconds == 1500)
        #expect(Duration.seconds(-1).nanoseconds == 0)
    }

    @Test func sizes() {
        #expect(ConfigValue.size("64KiB") == 65536)
        #expect(ConfigValue.size("1MiB") == 1 << 20)
        #expect(ConfigValue.size("1000") == 1000)
        #expect(ConfigValue.size("1MB") == nil)
        #expect(ConfigValue.size("99999999999999GiB") == nil)
    }
}
