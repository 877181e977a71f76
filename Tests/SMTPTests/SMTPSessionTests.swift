import Testing
@testable import SMTP

let sampleMessage = EmailMessage(from: "alerts@livehub.example", to: "ops@example.com", subject: "Payment stuck",
                                 text: "Payment 42 waits.\n.\nThat line was a dot.", messageID: "1.2@livehub.example",
                                 date: 1_700_000_000_000)!

/// What a session wrote and how it ended when played against `replies`: the first is the
/// greeting, each next one answers the session's latest write. `splitEvery`: feed each
/// reply in pieces of that many bytes, to cross read boundaries.
struct Played {
    var writes: [String] = []
    var outcome: SMTPSession.Outcome?
    var isOver = false
    var session: SMTPSession

    init(_ session: SMTPSession, _ replies: [String], splitEvery: Int? = nil) {
        self.session = session
        for reply in replies where !isOver {
            let bytes = Array(reply.utf8)
            let size = splitEvery ?? max(bytes.count, 1)
            var start = 0
            while start < bytes.count && !isOver {
                let step = self.session.receive(bytes[start..<min(start + size, bytes.count)])
                start += size
                if !step.write.isEmpty { writes.append(String(decoding: step.write, as: UTF8.self)) }
                if let outcome = step.outcome {
                    #expect(self.outcome == nil, "an outcome is reported once")
                    self.outcome = outcome
                }
                isOver = step.isOver
            }
        }
    }

    var error: SMTPError? {
        if case .failed(let error)? = outcome { return error }
        return nil
    }
}

func session(credentials: SMTPCredentials? = nil, confidential: Bool = true) throws -> SMTPSession {
    try SMTPSession(message: sampleMessage, helloName: "client.example", credentials: credentials, channelIsConfidential: confidential)
}

let credentials = SMTPCredentials(username: "alerts@livehub.example", password: "s3cret p@ss")!
let greeting = "220 mail.example.com ESMTP ready\r\n"
let afterHello = ["250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n", "250 2.0.0 Ok: queued as 1A2B\r\n", "221 2.0.0 Bye\r\n"]
let envelope = ["MAIL FROM:<alerts@livehub.example>\r\n", "RCPT TO:<ops@example.com>\r\n", "DATA\r\n"]
let payload = String(decoding: DotStuffing.encode(sampleMessage.rendered), as: UTF8.self)

@Suite("SMTP session (RFC 5321) against scripted servers")
struct SMTPSessionTests {
    @Test(arguments: [nil, 1, 7])
    func happyPath(splitEvery: Int?) throws {
        let ehlo = "250-mail.example.com greets client.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
        let played = Played(try session(), [greeting, ehlo] + afterHello, splitEvery: splitEvery)
        #expect(played.writes == ["EHLO client.example\r\n"] + envelope + [payload, "QUIT\r\n"])
        #expect(played.outcome == .accepted)
        #expect(played.isOver)
        #expect(played.session.extensions.supports("8bitmime") && played.session.extensions.keywords["SIZE"] == ["10240000"])
    }

    @Test func thePayloadIsDotStuffedAndEnded() {
        #expect(payload.contains("\r\n..\r\nThat line was a dot.\r\n.\r\n"))
        #expect(payload.hasSuffix("\r\n.\r\n"))
    }

    @Test func ehloRefusedFallsBackToHelo() throws {
        let played = Played(try session(credentials: credentials), [greeting, "502 5.5.2 Error: command not recognized\r\n", "250 mail.example.com\r\n"] + afterHello)
        // After HELO there are no extensions, so no AUTH: straight to MAIL.
        #expect(played.writes == ["EHLO client.example\r\n", "HELO client.example\r\n"] + envelope + [payload, "QUIT\r\n"])
        #expect(played.outcome == .accepted)
    }

    @Test func authPlainSendsTheInitialResponse() throws {
        let ehlo = "250-mail.example.com\r\n250-AUTH LOGIN PLAIN\r\n250 ENHANCEDSTATUSCODES\r\n"
        let played = Played(try session(credentials: credentials), [greeting, ehlo, "235 2.7.0 Authentication successful\r\n"] + afterHello)
        // RFC 4616 §2: base64("" NUL "alerts@livehub.example" NUL "s3cret p@ss").
        #expect(played.writes == ["EHLO client.example\r\n", "AUTH PLAIN AGFsZXJ0c0BsaXZlaHViLmV4YW1wbGUAczNjcmV0IHBAc3M=\r\n"] + envelope + [payload, "QUIT\r\n"])
        #expect(played.outcome == .accepted)
    }

    @Test(arguments: ["250-AUTH CRAM-MD5 LOGIN\r\n", "250-AUTH=LOGIN\r\n"])
    func authLoginAnswersBothChallenges(offer: String) throws {
        let ehlo = "250-mail.example.com\r\n\(offer)250 8BITMIME\r\n"
        let played = Played(try session(credentials: credentials),
                            [greeting, ehlo, "334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 2.7.0 Authentication successful\r\n"] + afterHello)
        #expect(played.writes == ["EHLO client.example\r\n", "AUTH LOGIN\r\n", "YWxlcnRzQGxpdmVodWIuZXhhbXBsZQ==\r\n", "czNjcmV0IHBAc3M=\r\n"]
                + envelope + [payload, "QUIT\r\n"])
        #expect(played.outcome == .accepted)
    }

    @Test func noCredentialsMeansNoAuthEvenWhenOffered() throws {
        let played = Played(try session(), [greeting, "250-mail.example.com\r\n250 AUTH PLAIN\r\n"] + afterHello)
        #expect(played.writes[1] == envelope[0])
    }

    @Test func aRefusedLoginIsPermanent() throws {
        let played = Played(try session(credentials: credentials), [greeting, "250-x\r\n250 AUTH PLAIN\r\n", "535 5.7.8 Authentication credentials invalid\r\n"])
        #expect(played.error == .permanent(code: 535, text: "5.7.8 Authentication credentials invalid"))
        #expect(played.writes.last == "QUIT\r\n")
    }

    @Test func noMechanismInCommonIsAProtocolError() throws {
        let played = Played(try session(credentials: credentials), [greeting, "250-x\r\n250 AUTH CRAM-MD5 XOAUTH2\r\n"])
        guard case .protocolError(let why)? = played.error else { Issue.record("got \(played.outcome as Any)"); return }
        #expect(why.contains("CRAM-MD5 XOAUTH2"))
        #expect(played.writes == ["EHLO client.example\r\n", "QUIT\r\n"])
    }

    @Test func credentialsNeverGoOverAPlainChannel() {
        #expect(throws: SMTPError.self) { try session(credentials: credentials, confidential: false) }
        #expect((try? session(credentials: nil, confidential: false)) != nil)
    }

    @Test func a421GreetingIsTransientAndNeedsNoQuit() throws {
        let played = Played(try session(), ["421 4.3.2 Service not available, closing channel\r\n"])
        #expect(played.error == .transient(code: 421, text: "4.3.2 Service not available, closing channel"))
        #expect(played.error?.isRetryable == true)
        #expect(played.writes.isEmpty && played.isOver)
    }

    @Test func a554GreetingIsPermanent() throws {
        let played = Played(try session(), ["554 No SMTP service here\r\n"])
        #expect(played.error == .permanent(code: 554, text: "No SMTP service here"))
        #expect(played.writes.isEmpty)
    }

    @Test func a451AfterTheDataIsTransient() throws {
        let replies = [greeting, "250 mail.example.com\r\n"] + afterHello.prefix(3) + ["451 4.3.0 Try again later\r\n"]
        let played = Played(try session(), replies)
        #expect(played.error == .transient(code: 451, text: "4.3.0 Try again later"))
        #expect(played.error?.isRetryable == true)
        #expect(played.writes == ["EHLO client.example\r\n"] + envelope + [payload, "QUIT\r\n"])
    }

    @Test func a550AtRcptIsPermanent() throws {
        let played = Played(try session(), [greeting, "250 mail.example.com\r\n", "250 Ok\r\n", "550 5.1.1 <ops@example.com>: Recipient address rejected\r\n"])
        #expect(played.error == .permanent(code: 550, text: "5.1.1 <ops@example.com>: Recipient address rejected"))
        #expect(played.error?.isRetryable == false)
        #expect(played.writes == ["EHLO client.example\r\n", envelope[0], envelope[1], "QUIT\r\n"])
    }

    @Test func aMultiLineErrorKeepsEveryLine() throws {
        let played = Played(try session(), [greeting, "250 x\r\n", "452-4.5.3 Too many\r\n452-recipients\r\n452 today\r\n"])
        #expect(played.error == .transient(code: 452, text: "4.5.3 Too many recipients today"))
    }

    @Test func aMultiLineReplyMayNotChangeItsCode() throws {
        let played = Played(try session(), [greeting, "250-mail.example.com\r\n251 8BITMIME\r\n"])
        guard case .protocolError(let why)? = played.error else { Issue.record("got \(played.outcome as Any)"); return }
        #expect(why.contains("250 to 251"))
    }

    @Test func bareLineFeedsAndCodeOnlyLinesAreRead() throws {
        let played = Played(try session(), ["220\n", "250-mail.example.com\n250 8BITMIME\n", "250\r\n", "250 Ok\r\n", "354\r\n", "250 Ok\r\n", "221\r\n"])
        #expect(played.outcome == .accepted)
    }

    @Test(arguments: [SMTPReplyReader.maxLineLength, SMTPReplyReader.maxLineLength + 10])
    func anOversizeLineIsAProtocolError(length: Int) throws {
        // One without its end yet, one with it: neither is buffered further.
        let line = "220 " + String(repeating: "x", count: length) + (length > SMTPReplyReader.maxLineLength ? "\r\n" : "")
        let played = Played(try session(), [line])
        guard case .protocolError(let why)? = played.error else { Issue.record("got \(played.outcome as Any)"); return }
        #expect(why.contains("longer than"))
        #expect(played.isOver)
    }

    @Test func aReplyOfTooManyLinesIsAProtocolError() throws {
        let lines = String(repeating: "250-X\r\n", count: SMTPReplyReader.maxLines + 1) + "250 X\r\n"
        let played = Played(try session(), [greeting, lines])
        guard case .protocolError(let why)? = played.error else { Issue.record("got \(played.outcome as Any)"); return }
        #expect(why.contains("lines"))
    }

    @Test(arguments: ["HTTP/1.1 400 Bad Request\r\n", "\u{16}\u{03}\u{01}\u{00}\u{a5}\n", "22\r\n", "220x\r\n", "120 wait\r\n", "260 no\r\n", "\r\n"])
    func garbageIsAProtocolError(garbage: String) throws {
        let played = Played(try session(), [garbage])
        guard case .protocolError(let why)? = played.error else { Issue.record("got \(played.outcome as Any)"); return }
        #expect(!why.contains("\u{16}"), "control characters never reach the error text")
        #expect(played.error?.isRetryable == false)
    }

    @Test func aReplyOutOfTurnIsAProtocolError() throws {
        let played = Played(try session(), [greeting + "250 Ok\r\n"])
        guard case .protocolError(let why)? = played.error else { Issue.record("got \(played.outcome as Any)"); return }
        #expect(why.contains("out of turn"))
    }

    @Test func anUnexpectedPositiveReplyIsAProtocolError() throws {
        let played = Played(try session(), [greeting, "250 x\r\n", "354 go ahead\r\n"])
        #expect(played.error == .protocolError("unexpected reply 354 to MAIL: go ahead"))
    }

    @Test func theReaderReturnsOneReplyAtATime() throws {
        var reader = SMTPReplyReader()
        reader.append(Array("250-a\r\n250 b\r\n354".utf8))
        #expect(try reader.next() == SMTPReply(code: 250, lines: ["a", "b"]))
        #expect(try reader.next() == nil)
        #expect(reader.hasPendingBytes)
    }

    @Test func aCloseBeforeTheAcceptanceIsTransientAfterItIsNothing() throws {
        var early = try session()
        _ = early.receive(Array(greeting.utf8))
        #expect(early.connectionClosed() == .failed(.connect("the server closed the connection while we waited for the reply to EHLO")))
        let played = Played(try session(), [greeting, "250 x\r\n"] + afterHello.prefix(4))
        var late = played.session
        #expect(played.outcome == .accepted)
        #expect(late.connectionClosed() == nil)
    }

    @Test func errorsSayWhetherToRetry() {
        #expect(SMTPError.transient(code: 450, text: "").isRetryable)
        #expect(SMTPError.connect("refused").isRetryable)
        #expect(SMTPError.tls("expired").isRetryable)
        #expect(SMTPError.timeout.isRetryable)
        #expect(!SMTPError.permanent(code: 550, text: "").isRetryable)
        #expect(!SMTPError.protocolError("x").isRetryable)
        #expect(SMTPError.permanent(code: 550, text: "no such user").description == "refused 550: no such user")
    }

    @Test func helloNamesAreChecked() throws {
        #expect(SMTPSession.isValidHelloName("mail.example.com") && SMTPSession.isValidHelloName("[192.0.2.1]") && SMTPSession.isValidHelloName("[IPv6:::1]"))
        #expect(!SMTPSession.isValidHelloName("bad name") && !SMTPSession.isValidHelloName("x\r\nRSET") && !SMTPSession.isValidHelloName("") && !SMTPSession.isValidHelloName("[]"))
        #expect(throws: SMTPError.self) { try SMTPSession(message: sampleMessage, helloName: "a\r\nb", channelIsConfidential: true) }
    }
}
