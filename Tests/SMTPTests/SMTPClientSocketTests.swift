import Foundation
import Testing
@testable import Reactor
@testable import SMTP

/// A tiny SMTP server on the test's own loop: it greets, answers each command line, reads
/// the data up to "." and un-stuffs it (RFC 5321 §4.5.2), and records what it saw.
final class SinkServer: TCPConnectionDelegate {
    var greeting = "220 sink.test ESMTP\r\n"
    var ehlo = "250-sink.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
    var dataReply = "250 2.0.0 queued\r\n"
    /// Never says anything: the client's deadline must end the exchange.
    var silent = false

    var commands: [String] = []
    var messages: [[UInt8]] = []
    var sawClose = false
    private var buffer: [UInt8] = []
    private var inData = false

    func accepted(_ connection: TCPConnection) {
        connection.delegate = self
        if !silent { connection.send(Array(greeting.utf8)) }
        if greeting.hasPrefix("421") { connection.closeAfterFlush() }
    }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        while true {
            if inData {
                guard let end = find(Array("\r\n.\r\n".utf8)) else { return }
                var lines = String(decoding: buffer[..<(end + 2)], as: UTF8.self).components(separatedBy: "\r\n")
                lines.removeLast()
                let unstuffed = lines.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }.joined(separator: "\r\n") + "\r\n"
                messages.append(Array(unstuffed.utf8))
                buffer.removeSubrange(..<(end + 5))
                inData = false
                connection.send(Array(dataReply.utf8))
                continue
            }
            guard let end = find([13, 10]) else { return }
            let line = String(decoding: buffer[..<end], as: UTF8.self)
            buffer.removeSubrange(..<(end + 2))
            commands.append(line)
            let verb = line.prefix(4).uppercased()
            switch verb {
            case "EHLO": connection.send(Array(ehlo.utf8))
            case "AUTH": connection.send(Array("235 2.7.0 ok\r\n".utf8))
            case "DATA":
                inData = true
                connection.send(Array("354 go ahead\r\n".utf8))
            case "QUIT":
                connection.send(Array("221 bye\r\n".utf8))
                connection.closeAfterFlush()
            default: connection.send(Array("250 ok\r\n".utf8))
            }
        }
    }

    func connectionClosed(_ connection: TCPConnection) { sawClose = true }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        return (0...(buffer.count - needle.count)).first { buffer[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

/// Sends `message` with a client for `url` on a fresh loop, with `server` listening on
/// 127.0.0.1 (optionally behind TLS); runs until the completion and a little after, so the
/// server sees QUIT and the close.
func deliver(_ message: EmailMessage = sampleMessage, url: (Int) -> String, server: SinkServer?, serverTLS: TLSContext? = nil,
             clientTLS: TLSClientContext? = nil, timeoutNanoseconds: UInt64 = 5_000_000_000) throws -> Result<Void, SMTPError> {
    let loop = try EventLoop()
    let bound = try TCPListener.bind(host: "127.0.0.1", port: 0)
    var listener: TCPListener?
    if let server {
        listener = try TCPListener(fd: bound.fd, loop: loop, tls: serverTLS) { server.accepted($0) }
    } else {
        close(bound.fd)
    }
    defer { listener?.close() }
    let client = SMTPClient(loop: loop, url: try #require(SMTPURL(url(bound.port))), tls: clientTLS, helloName: "client.test")
    var outcomes: [Result<Void, SMTPError>] = []
    client.send(message, timeoutNanoseconds: timeoutNanoseconds) { result in
        outcomes.append(result)
        loop.schedule(afterNanoseconds: 100_000_000) { loop.stop() }
    }
    loop.schedule(afterNanoseconds: 20_000_000_000) { loop.stop() }  // the test's own backstop
    loop.run()
    #expect(outcomes.count == 1, "the completion runs exactly once")
    return try #require(outcomes.first)
}

@Suite("SMTPClient on a loop against an in-test server", .serialized)
struct SMTPClientSocketTests {
    @Test func deliversWithAuthOverLoopback() throws {
        let server = SinkServer()
        let result = try deliver(url: { "smtp://alerts%40livehub.example:s3cret%20p%40ss@127.0.0.1:\($0)" }, server: server)
        try result.get()
        #expect(server.commands == ["EHLO client.test", "AUTH PLAIN AGFsZXJ0c0BsaXZlaHViLmV4YW1wbGUAczNjcmV0IHBAc3M=",
                                    "MAIL FROM:<alerts@livehub.example>", "RCPT TO:<ops@example.com>", "DATA", "QUIT"])
        #expect(server.messages == [sampleMessage.rendered])
        #expect(server.sawClose)
    }

    @Test func theDefaultHelloNameIsAnAddressLiteralOrAFullName() throws {
        let server = SinkServer()
        let loop = try EventLoop()
        let bound = try TCPListener.bind(host: "127.0.0.1", port: 0)
        let listener = try TCPListener(fd: bound.fd, loop: loop) { server.accepted($0) }
        defer { listener.close() }
        let client = SMTPClient(loop: loop, url: SMTPURL("smtp://127.0.0.1:\(bound.port)")!)
        client.send(sampleMessage) { _ in loop.schedule(afterNanoseconds: 50_000_000) { loop.stop() } }
        loop.schedule(afterNanoseconds: 10_000_000_000) { loop.stop() }
        loop.run()
        let hello = try #require(server.commands.first)
        #expect(hello == "EHLO [127.0.0.1]" || (hello.hasPrefix("EHLO ") && hello.contains(".") && !hello.contains("[")))
    }

    @Test func a421GreetingIsTransient() throws {
        let server = SinkServer()
        server.greeting = "421 4.3.2 too busy\r\n"
        let result = try deliver(url: { "smtp://127.0.0.1:\($0)" }, server: server)
        #expect(result.error == .transient(code: 421, text: "4.3.2 too busy"))
    }

    @Test func a451AfterTheDataIsTransient() throws {
        let server = SinkServer()
        server.dataReply = "451 4.3.0 try later\r\n"
        let result = try deliver(url: { "smtp://127.0.0.1:\($0)" }, server: server)
        #expect(result.error == .transient(code: 451, text: "4.3.0 try later"))
        #expect(server.commands.last == "QUIT")
    }

    @Test func aSilentServerTimesOut() throws {
        let server = SinkServer()
        server.silent = true
        let result = try deliver(url: { "smtp://127.0.0.1:\($0)" }, server: server, timeoutNanoseconds: 200_000_000)
        #expect(result.error == .timeout)
    }

    @Test func aRefusedConnectIsAConnectError() throws {
        let result = try deliver(url: { "smtp://127.0.0.1:\($0)" }, server: nil)
        guard case .connect(let why)? = result.error else { Issue.record("got \(result)"); return }
        #expect(why.contains("refused"))
    }

    @Test func credentialsToAnotherHostWithoutTLSAreRefusedBeforeConnecting() throws {
        let result = try deliver(url: { _ in "smtp://u:p@192.0.2.1:25" }, server: nil)
        guard case .protocolError(let why)? = result.error else { Issue.record("got \(result)"); return }
        #expect(why.contains("plain connection"))
    }

    @Test func smtpsToAPlainServerIsATLSFailure() throws {
        let server = SinkServer()
        let result = try deliver(url: { "smtps://localhost:\($0)" }, server: server, clientTLS: try TLSClientContext())
        guard case .tls? = result.error else { Issue.record("got \(result)"); return }
    }

    @Test func smtpsDeliversOverImplicitTLS() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = SinkServer()
        let result = try deliver(url: { "smtps://alerts%40livehub.example:s3cret%20p%40ss@localhost:\($0)" }, server: server,
                                 serverTLS: try TLSContext(certificatePath: pki.certificate, keyPath: pki.key),
                                 clientTLS: try TLSClientContext(caFile: pki.ca))
        try result.get()
        #expect(server.commands.contains("AUTH PLAIN AGFsZXJ0c0BsaXZlaHViLmV4YW1wbGUAczNjcmV0IHBAc3M="))
        #expect(server.messages == [sampleMessage.rendered])
    }

    @Test func smtpsRefusesAnUntrustedCertificate() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let result = try deliver(url: { "smtps://localhost:\($0)" }, server: SinkServer(),
                                 serverTLS: try TLSContext(certificatePath: pki.certificate, keyPath: pki.key),
                                 clientTLS: try TLSClientContext())
        guard case .tls(let why)? = result.error else { Issue.record("got \(result)"); return }
        #expect(why.contains("certificate verify failed"))
    }
}

extension Result where Failure == SMTPError {
    var error: SMTPError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
