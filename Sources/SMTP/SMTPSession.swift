/// One message's SMTP exchange as a client, sans I/O (RFC 5321): feed it what the server
/// sends, and it says what to write next and, once known, how the message fared. It never
/// touches a socket; `SMTPClient` runs it on a reactor connection, tests run it on scripts.
///
/// The dialogue (§3.1–§3.3, §4.1.1, §4.3.2): the 220 greeting; EHLO, or HELO when EHLO is
/// refused (§4.1.4, §3.2); AUTH PLAIN or LOGIN (RFC 4954) when credentials are given and
/// the server offers AUTH; MAIL FROM; RCPT TO; DATA and its 354; the dot-stuffed message
/// and "." (§4.5.2); the 250 that accepts it; QUIT and its 221 (§4.1.1.10). One command at
/// a time (no PIPELINING, RFC 2920), so a reply that comes before we asked for it is a
/// protocol error. A 4xx at any step is `transient`, a 5xx `permanent` (§4.2.1).
///
/// No STARTTLS (RFC 3207): the reactor cannot turn a plain connection into TLS, so TLS is
/// implicit (smtps://, RFC 8314) or absent.
public struct SMTPSession {
    /// How the message fared.
    public enum Outcome: Sendable, Equatable {
        /// The server took responsibility for it (the 250 after the data, §4.1.1.4).
        case accepted
        case failed(SMTPError)
    }

    /// What to do after the bytes just fed in.
    public struct Step: Sendable, Equatable {
        /// Bytes to write to the server now (possibly none).
        public var write: [UInt8] = []
        /// Set once, when the message's fate is known.
        public var outcome: Outcome?
        /// The exchange is over: close the connection once `write` is out.
        public var isOver = false
    }

    /// At most this many replies in one session: ten commands need far fewer, and a
    /// server that keeps talking is stopped (every input from the network is hostile).
    public static let maxReplies = 16

    enum State: String {
        case greeting = "the greeting", ehlo = "EHLO", helo = "HELO"
        case authPlain = "AUTH PLAIN", authLoginStart = "AUTH LOGIN", authLoginUsername = "the AUTH LOGIN user name",
             authLoginPassword = "the AUTH LOGIN password"
        case mail = "MAIL", rcpt = "RCPT", data = "DATA", dataEnd = "the end of the data", quit = "QUIT", over = "nothing"
    }

    private(set) var state = State.greeting
    /// What the server's EHLO reply offered (empty after HELO).
    public private(set) var extensions = SMTPExtensions()
    private var reader = SMTPReplyReader()
    private var replies = 0
    private let payload: [UInt8]
    private let sender: EmailAddress
    private let recipient: EmailAddress
    private let helloName: String
    private let credentials: SMTPCredentials?

    /// `helloName`: our name for EHLO (RFC 5321 §4.1.1.1: a domain, or an address literal
    /// such as `[192.0.2.1]`, §4.1.3). `channelIsConfidential`: the connection is TLS or
    /// goes to a loopback address. Credentials are never sent over anything else: with
    /// them and a plain channel to another host, this throws `protocolError`.
    public init(message: EmailMessage, helloName: String, credentials: SMTPCredentials? = nil,
                channelIsConfidential: Bool) throws(SMTPError) {
        try Self.checkCredentials(credentials, channelIsConfidential: channelIsConfidential)
        guard Self.isValidHelloName(helloName) else { throw .protocolError("not a domain or address literal for EHLO: \(helloName.debugDescription)") }
        payload = DotStuffing.encode(message.rendered)
        sender = message.from
        recipient = message.to
        self.helloName = helloName
        self.credentials = credentials
    }

    /// Refuses credentials that would cross the network in clear (RFC 4954 §4 and
    /// RFC 8314 §5.4: PLAIN and LOGIN need a confidential channel).
    public static func checkCredentials(_ credentials: SMTPCredentials?, channelIsConfidential: Bool) throws(SMTPError) {
        if credentials != nil && !channelIsConfidential {
            throw .protocolError("refusing to send credentials over a plain connection to a host that is not loopback (use smtps://)")
        }
    }

    /// Feeds bytes from the server.
    public mutating func receive<Bytes: Sequence>(_ bytes: Bytes) -> Step where Bytes.Element == UInt8 {
        guard state != .over else { return Step(isOver: true) }
        reader.append(bytes)
        let reply: SMTPReply
        do {
            guard let next = try reader.next() else { return Step() }
            reply = next
        } catch {
            return fail(error, quit: false)
        }
        replies += 1
        guard replies <= Self.maxReplies else { return fail(.protocolError("more than \(Self.maxReplies) replies"), quit: false) }
        let answered = state
        var step = advance(reply)
        // We wrote one command and wait for its one reply: bytes beyond it were sent before
        // the server could have read what it answers.
        if state != .over && reader.hasPendingBytes {
            let why = "a reply out of turn after the one to \(answered.rawValue)"
            step = Step(outcome: step.outcome ?? .failed(.protocolError(why)), isOver: true)
            state = .over
        }
        return step
    }

    /// The server closed the connection. The outcome if it was not known yet: a close
    /// before the reply we wait for is treated as a temporary failure (RFC 5321 §3.8).
    public mutating func connectionClosed() -> Outcome? {
        let waitingFor = state
        state = .over
        switch waitingFor {
        case .over, .quit: return nil
        default: return .failed(.connect("the server closed the connection while we waited for the reply to \(waitingFor.rawValue)"))
        }
    }

    // MARK: the dialogue

    private mutating func advance(_ reply: SMTPReply) -> Step {
        switch (state, reply.code) {
        case (.greeting, 220):
            return send("EHLO \(helloName)", then: .ehlo)
        case (.ehlo, 250):
            extensions = SMTPExtensions(ehloReply: reply)
            return afterHello()
        case (.ehlo, 500...559):
            // §3.2, §4.1.4: a server that does not know EHLO still knows HELO.
            return send("HELO \(helloName)", then: .helo)
        case (.helo, 250):
            return afterHello()
        case (.authPlain, 235), (.authLoginPassword, 235):
            return send("MAIL FROM:<\(sender.text)>", then: .mail)
        case (.authLoginStart, 334):
            return send(credentials?.loginUsername ?? "*", then: .authLoginUsername)
        case (.authLoginUsername, 334):
            return send(credentials?.loginPassword ?? "*", then: .authLoginPassword)
        case (.mail, 250):
            return send("RCPT TO:<\(recipient.text)>", then: .rcpt)
        case (.rcpt, 250), (.rcpt, 251):  // 251: "will forward" (§4.1.1.3, §3.4)
            return send("DATA", then: .data)
        case (.data, 354):
            state = .dataEnd
            return Step(write: payload)
        case (.dataEnd, 250):
            var step = send("QUIT", then: .quit)
            step.outcome = .accepted
            return step
        case (.quit, _):
            // Whatever it says (221, §4.1.1.10), the message's fate is already known.
            state = .over
            return Step(isOver: true)
        default:
            return refuse(reply)
        }
    }

    /// After EHLO or HELO: AUTH when we have credentials and the server offers AUTH, else
    /// straight to MAIL. Without AUTH in the EHLO reply (or after HELO) the credentials go
    /// unused: a local relay may take mail without them, and one that wants them says so
    /// at MAIL or RCPT (530, RFC 4954 §6), which is `permanent`.
    private mutating func afterHello() -> Step {
        guard let credentials, let mechanisms = extensions.authMechanisms else {
            return send("MAIL FROM:<\(sender.text)>", then: .mail)
        }
        if mechanisms.contains("PLAIN") {
            // RFC 4954 §4: the initial response rides on the AUTH line.
            return send("AUTH PLAIN \(credentials.plainResponse)", then: .authPlain)
        }
        if mechanisms.contains("LOGIN") {
            return send("AUTH LOGIN", then: .authLoginStart)
        }
        return fail(.protocolError("the server offers AUTH \(mechanisms.joined(separator: " ")), this client speaks PLAIN and LOGIN"), quit: true)
    }

    /// A reply the current step did not hope for.
    private mutating func refuse(_ reply: SMTPReply) -> Step {
        if reply.isTransientNegative {
            // 421: the server is closing the channel anyway (§3.8), no QUIT to send.
            return fail(.transient(code: reply.code, text: reply.text), quit: reply.code != 421)
        }
        if reply.isPermanentNegative {
            return fail(.permanent(code: reply.code, text: reply.text), quit: true)
        }
        return fail(.protocolError("unexpected reply \(reply.code) to \(state.rawValue): \(reply.text)"), quit: true)
    }

    private mutating func send(_ command: String, then next: State) -> Step {
        state = next
        return Step(write: Array("\(command)\r\n".utf8))
    }

    /// Ends the session; QUIT (§4.1.1.10) when the server is still in a state to read it.
    private mutating func fail(_ error: SMTPError, quit: Bool) -> Step {
        let wasAfterGreeting = state != .greeting
        state = .over
        return Step(write: quit && wasAfterGreeting ? Array("QUIT\r\n".utf8) : [], outcome: .failed(error), isOver: true)
    }

    /// A domain of letters, digits, hyphens and dots, or an address literal in brackets
    /// (RFC 5321 §4.1.2 `Domain / address-literal`), at most 255 octets: nothing that
    /// could end the command line.
    static func isValidHelloName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 else { return false }
        if bytes.first == UInt8(ascii: "[") {
            return bytes.last == UInt8(ascii: "]") && bytes.count > 2
                && bytes.dropFirst().dropLast().allSatisfy { EmailAddress.isLetterOrDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
        }
        return bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            .allSatisfy { !$0.isEmpty && $0.allSatisfy { EmailAddress.isLetterOrDigit($0) || $0 == UInt8(ascii: "-") } }
    }
}
