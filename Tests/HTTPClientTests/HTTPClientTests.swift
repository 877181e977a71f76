import Foundation
import HTTP1
import Testing
@testable import HTTPClient
@testable import Reactor

/// Runs `send` on a fresh loop and returns what the client answered.
private func exchange(_ url: String, method: String = "GET", body: [UInt8] = [], tls: TLSClientContext? = nil,
                      timeoutNanoseconds: UInt64 = 5_000_000_000,
                      setUp: (EventLoop) throws -> Void = { _ in }) throws -> Result<HTTPClientResponse, HTTPClientError> {
    let loop = try EventLoop()
    try setUp(loop)
    let client = HTTPClient(loop: loop, tls: tls)
    var outcome: Result<HTTPClientResponse, HTTPClientError>?
    client.send(OutgoingRequest(method: method, url: try #require(OutgoingURL(url)), body: body), timeoutNanoseconds: timeoutNanoseconds) {
        outcome = $0
        loop.stop()
    }
    loop.schedule(afterNanoseconds: 20_000_000_000) { loop.stop() }  // the test's own backstop
    loop.run()
    return try #require(outcome)
}

/// Answers every request on the loop with `response` (written in two pieces, to make the
/// client parse across reads), then closes.
private final class CannedServer: TCPConnectionDelegate {
    let response: [UInt8]
    var received: [UInt8] = []
    init(response: String) { self.response = Array(response.utf8) }
    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        received.append(contentsOf: bytes)
        guard String(decoding: received, as: UTF8.self).contains("\r\n\r\n") else { return }
        let half = response.count / 2
        connection.send(Array(response[..<half]))
        connection.loop.schedule(afterNanoseconds: 5_000_000) {
            connection.send(Array(self.response[half...]))
            connection.closeAfterFlush()
        }
    }
    func connectionClosed(_ connection: TCPConnection) {}
}

@Suite("Outgoing HTTP client")
struct PlainHTTPClientTests {
    @Test func readsAChunkedResponseAndSendsHostAndBody() throws {
        let server = CannedServer(response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n")
        let bound = try TCPListener.bind(host: "127.0.0.1", port: 0)
        var listener: TCPListener?
        let result = try exchange("http://127.0.0.1:\(bound.port)/hook?x=1", method: "POST", body: Array("{\"a\":1}".utf8)) { loop in
            listener = try TCPListener(fd: bound.fd, loop: loop) { $0.delegate = server }
        }
        _ = listener
        let response = try result.get()
        #expect(response.statusCode == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello world")
        let request = String(decoding: server.received, as: UTF8.self)
        #expect(request.hasPrefix("POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:\(bound.port)\r\n"))
        #expect(request.contains("Content-Length: 7\r\n"))
        #expect(request.hasSuffix("\r\n\r\n{\"a\":1}"))
    }

    @Test func aRefusedConnectIsReportedAsSuch() throws {
        // Bind and close to find a port nobody listens on.
        let bound = try TCPListener.bind(host: "127.0.0.1", port: 0)
        close(bound.fd)
        let result = try exchange("http://127.0.0.1:\(bound.port)/")
        guard case .failure(.connect(let why)) = result else {
            Issue.record("expected a connect failure, got \(result)")
            return
        }
        #expect(why.contains("refused"))
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        // Listening but never accepting: the kernel completes the connect, nobody answers.
        let bound = try TCPListener.bind(host: "127.0.0.1", port: 0)
        defer { close(bound.fd) }
        let result = try exchange("http://127.0.0.1:\(bound.port)/", timeoutNanoseconds: 200_000_000)
        guard case .failure(.timeout) = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
    }

    @Test func anUnknownHostFailsToResolveWithoutBlockingTheLoop() throws {
        var ticks = 0
        let result = try exchange("http://no-such-host.invalid/") { loop in
            loop.scheduleRepeating(everyNanoseconds: 1_000_000) { ticks += 1 }
        }
        guard case .failure(.resolve) = result else {
            Issue.record("expected a resolve failure, got \(result)")
            return
        }
        _ = ticks  // the loop kept turning while the lookup ran on its own thread
    }

    @Test func urlsAreParsedWithDefaultPortsAndLiterals() {
        let discord = OutgoingURL("https://discord.com/api/webhooks/1/abc")
        #expect(discord?.host == "discord.com" && discord?.port == 443 && discord?.target == "/api/webhooks/1/abc")
        #expect(discord?.hostHeader == "discord.com")
        let v6 = OutgoingURL("http://[::1]:8080?q=1")
        #expect(v6?.host == "::1" && v6?.port == 8080 && v6?.target == "/?q=1" && v6?.hostHeader == "[::1]:8080")
        #expect(OutgoingURL("ftp://x/") == nil)
        #expect(OutgoingURL("https://user@host/") == nil)
        #expect(OutgoingURL("https://host:99999/") == nil)
        #expect(OutgoingURL("https:///path") == nil)
    }
}

/// Starts `/usr/bin/openssl arguments` with its output discarded. (posix_spawn rather than
/// Foundation's Process, whose waitUntilExit can hang on Linux after terminate.)
private func spawnOpenSSL(_ arguments: [String]) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = (["openssl"] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    let rc = posix_spawn(&pid, "/usr/bin/openssl", &actions, nil, argv, environ)
    guard rc == 0 else { throw TLSContext.Failure(description: "posix_spawn openssl: \(rc)") }
    return pid
}

private func runOpenSSL(_ arguments: [String]) throws {
    let pid = try spawnOpenSSL(arguments)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    guard status == 0 else { throw TLSContext.Failure(description: "openssl \(arguments.joined(separator: " ")) failed") }
}

/// A test CA, a server certificate it signed for `localhost`, and `openssl s_server`
/// serving it: the peer is OpenSSL's own server, not ours.
private final class OpenSSLServer {
    let directory: String
    let port: Int
    private let pid: pid_t

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("livehub-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let d = directory
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try runOpenSSL(["req", "-x509"] + ec + ["-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem", "-days", "2", "-subj", "/CN=LiveHub Test CA"])
        try runOpenSSL(["req"] + ec + ["-keyout", "\(d)/server.key", "-out", "\(d)/server.csr", "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost\n".write(toFile: "\(d)/san.ext", atomically: true, encoding: .utf8)
        try runOpenSSL(["x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key", "-CAcreateserial",
                        "-out", "\(d)/server.pem", "-days", "2", "-extfile", "\(d)/san.ext"])
        let bound = try TCPListener.bind(host: "127.0.0.1", port: 0)
        close(bound.fd)
        port = bound.port
        pid = try spawnOpenSSL(["s_server", "-accept", "127.0.0.1:\(port)", "-cert", "\(d)/server.pem", "-key", "\(d)/server.key", "-www", "-quiet"])
        // Ready once it accepts.
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = try SocketAddress.make(host: "127.0.0.1", port: port)
            let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            if rc == 0 { return }
            usleep(50_000)
        }
        stop()
        throw TLSContext.Failure(description: "openssl s_server did not start")
    }

    var caFile: String { "\(directory)/ca.pem" }

    func stop() {
        kill(pid, SIGKILL)  // a spawned child inherits the test thread's blocked signals: SIGTERM may never arrive
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("Outgoing HTTPS against openssl s_server", .serialized)
struct HTTPSClientTests {
    @Test func trustedCAAndMatchingNameIsAccepted() throws {
        let server = try OpenSSLServer()
        defer { server.stop() }
        let result = try exchange("https://localhost:\(server.port)/", tls: try TLSClientContext(caFile: server.caFile))
        let response = try result.get()
        #expect(response.statusCode == 200)
        // s_server -www answers with a page describing the session it negotiated.
        let page = String(decoding: response.body, as: UTF8.self)
        #expect(page.contains("TLSv1.3") || page.contains("TLSv1.2"))
    }

    @Test func aChainFromAnUntrustedCAIsRefused() throws {
        let server = try OpenSSLServer()
        defer { server.stop() }
        // The system store does not know the test CA.
        let result = try exchange("https://localhost:\(server.port)/", tls: try TLSClientContext())
        guard case .failure(.tls(let why)) = result else {
            Issue.record("expected a TLS failure, got \(result)")
            return
        }
        #expect(why.contains("certificate verify failed"))
    }

    @Test func aNameTheCertificateDoesNotCarryIsRefused() throws {
        let server = try OpenSSLServer()
        defer { server.stop() }
        // Same server, same trusted CA, but asked for as 127.0.0.1: the certificate names only localhost.
        let result = try exchange("https://127.0.0.1:\(server.port)/", tls: try TLSClientContext(caFile: server.caFile))
        guard case .failure(.tls(let why)) = result else {
            Issue.record("expected a TLS failure, got \(result)")
            return
        }
        #expect(why.contains("mismatch"))
    }
}
