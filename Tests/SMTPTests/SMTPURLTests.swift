import Testing
@testable import SMTP

@Suite("--smtp-url")
struct SMTPURLTests {
    @Test func defaultsAndTLS() throws {
        let plain = try #require(SMTPURL("smtp://mail.example.com"))
        #expect(plain.host == "mail.example.com" && plain.port == 25 && !plain.implicitTLS && plain.username == nil && plain.credentials == nil)
        let tls = try #require(SMTPURL("SMTPS://Smtp.Example.COM/"))
        #expect(tls.host == "smtp.example.com" && tls.port == 465 && tls.implicitTLS)
        let v6 = try #require(SMTPURL("smtp://[::1]:2525"))
        #expect(v6.host == "::1" && v6.port == 2525 && v6.isLoopback)
        #expect(plain.description == "smtp://mail.example.com:25")
    }

    @Test func userInformationIsPercentDecoded() throws {
        let url = try #require(SMTPURL("smtps://alerts%40livehub.example:p%40ss%3Aw%C3%B6rd@smtp.example.com:2465"))
        #expect(url.username == "alerts@livehub.example" && url.password == "p@ss:wörd" && url.port == 2465)
        #expect(url.credentials == SMTPCredentials(username: "alerts@livehub.example", password: "p@ss:wörd"))
        // An unescaped "@" in the password: the last "@" ends the user information.
        let lenient = try #require(SMTPURL("smtps://user:p@ss@smtp.example.com"))
        #expect(lenient.password == "p@ss" && lenient.host == "smtp.example.com")
    }

    @Test(arguments: [
        "", "http://mail.example.com", "smtp:/mail.example.com", "smtp://", "smtp:///", "smtp://:25",
        "smtp://mail.example.com:0", "smtp://mail.example.com:65536", "smtp://mail.example.com:abc", "smtp://mail.example.com:+25",
        "smtp://mail.example.com:", "smtp://mail.example.com/path", "smtp://mail.example.com?x=1", "smtp://mail.example.com#f",
        "smtp://user@mail.example.com", "smtp://:pass@mail.example.com", "smtp://user:@mail.example.com",
        "smtp://user:%zz@mail.example.com", "smtp://user:%f@mail.example.com", "smtp://user:%ff@mail.example.com",
        "smtp://user:p%00ss@mail.example.com", "smtp://mail example.com", "smtp://mail.exämple.com", "smtp://[::1",
        "smtp://[::1]x", "smtp://[mail.example.com]", "smtp://mail.example.com\r\n:25",
    ])
    func wrongValuesAreRefused(text: String) {
        #expect(SMTPURL(text) == nil, "\(text.debugDescription)")
    }

    @Test func loopbackIsOnlyThisMachine() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "[::1]"] { #expect(SMTPURL("smtp://\(host)")?.isLoopback == true, "\(host)") }
        for host in ["10.0.0.1", "127.0.0.1.example.com", "127.0.0.256", "localhost.example.com", "[::2]", "mail.example.com"] {
            #expect(SMTPURL("smtp://\(host)")?.isLoopback == false, "\(host)")
        }
    }

    @Test func thePasswordIsNeverPrinted() throws {
        let secret = "Tr0ub4dor&3-secret"
        let url = try #require(SMTPURL("smtps://alerts%40livehub.example:\(secret)@smtp.example.com"))
        #expect(url.password == secret)
        var dumped = ""
        dump(url, to: &dumped)
        var dumpedCredentials = ""
        dump(url.credentials, to: &dumpedCredentials)
        let printed = [
            url.description, "\(url)", String(describing: url), String(reflecting: url), dumped,
            Mirror(reflecting: url).children.map { "\($0.label ?? ""): \($0.value)" }.joined(separator: ", "),
            "\(url.credentials!)", String(reflecting: url.credentials!), dumpedCredentials, "\([url])", "\(Optional(url) as Any)",
        ]
        for text in printed {
            #expect(!text.contains(secret) && !text.contains("Tr0ub4dor"), "\(text)")
        }
        #expect(url.description == "smtps://alerts%40livehub.example:<redacted>@smtp.example.com:465")
        #expect(dumped.contains("<redacted>"))
    }

    @Test func credentialsAreBounded() {
        #expect(SMTPCredentials(username: "u", password: String(repeating: "p", count: SMTPCredentials.maxLength)) != nil)
        #expect(SMTPCredentials(username: "u", password: String(repeating: "p", count: SMTPCredentials.maxLength + 1)) == nil)
        #expect(SMTPCredentials(username: "u\u{0}v", password: "p") == nil)
    }
}
