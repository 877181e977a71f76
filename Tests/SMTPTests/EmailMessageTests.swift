import Foundation
import Testing
import WebSocket
@testable import SMTP

/// Decodes quoted-printable (RFC 2045 §6.7) to check what the encoder wrote.
func decodeQuotedPrintable(_ body: String) -> String {
    var out: [UInt8] = []
    let lines = body.components(separatedBy: "\r\n")
    for (index, line) in lines.enumerated() {
        var bytes = Array(line.utf8)[...]
        var soft = false
        if bytes.last == UInt8(ascii: "=") { soft = true; bytes = bytes.dropLast() }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "="), i + 3 <= bytes.endIndex,
               let value = UInt8(String(decoding: bytes[(i + 1)..<(i + 3)], as: UTF8.self), radix: 16) {
                out.append(value)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        if !soft && index < lines.count - 1 { out += [13, 10] }
    }
    return String(decoding: out, as: UTF8.self)
}

func headerAndBody(_ message: EmailMessage) -> (head: String, body: String) {
    let text = String(decoding: message.rendered, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    return (parts[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
}

@Suite("Email message rendering (RFC 5322, 2045, 2047)")
struct EmailMessageTests {
    @Test func theHeaderIsCompleteAndInOrder() throws {
        let message = try #require(EmailMessage(from: "alerts@livehub.example", to: "ops@example.com", subject: "Payment stuck",
                                                text: "Hello\nworld", messageID: "<1.2@livehub.example>", date: 1_700_000_000_123))
        let text = String(decoding: message.rendered, as: UTF8.self)
        #expect(text == """
            Date: Tue, 14 Nov 2023 22:13:20 +0000\r
            From: alerts@livehub.example\r
            To: ops@example.com\r
            Subject: Payment stuck\r
            Message-ID: <1.2@livehub.example>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            Hello\r
            world\r

            """)
        #expect(message.messageID == "1.2@livehub.example")
    }

    @Test func datesFollowTheCalendar() {
        #expect(MessageDate.format(milliseconds: 0) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MessageDate.format(milliseconds: 1_709_210_096_000) == "Thu, 29 Feb 2024 12:34:56 +0000")
        #expect(MessageDate.format(milliseconds: 253_402_300_799_999) == "Fri, 31 Dec 9999 23:59:59 +0000")
        #expect(MessageDate.format(milliseconds: -1) == nil)
        #expect(MessageDate.format(milliseconds: 253_402_300_800_000) == nil)
    }

    @Test func aNonASCIISubjectIsEncodedInWholeCharacters() throws {
        let subject = "Paiement bloqué — 支付卡住了 ✅ " + String(repeating: "é", count: 40)
        let message = try #require(EmailMessage(from: "a@b.example", to: "c@d.example", subject: subject, text: "", messageID: "x@y", date: 0))
        let head = headerAndBody(message).head
        let field = head.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(field.count > 1, "folded over several lines")
        var decoded = ""
        for line in field {
            #expect(line.utf8.count <= 76, "RFC 2047 §2: 76 characters per line with an encoded-word")
            let word = line.hasPrefix("Subject: ") ? line.dropFirst(9) : line.dropFirst(1)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.count <= 75)
            let octets = try #require(Base64.decode(word.dropFirst(10).dropLast(2)))
            // Each word is valid UTF-8 on its own: no character split between two (§5).
            decoded += try #require(String(validating: octets, as: UTF8.self))
        }
        #expect(decoded == subject)
        #expect(message.rendered.allSatisfy { $0 < 128 }, "the whole message is 7-bit")
    }

    @Test func plainSubjectsThatLookEncodedOrAreLongAreEncodedToo() throws {
        for subject in ["=?UTF-8?B?SGk=?=", String(repeating: "long ", count: 30), "tab\there"] {
            let message = try #require(EmailMessage(from: "a@b.example", to: "c@d.example", subject: subject, text: "", messageID: "x@y", date: 0))
            #expect(headerAndBody(message).head.contains("Subject: =?UTF-8?B?"))
        }
        let empty = try #require(EmailMessage(from: "a@b.example", to: "c@d.example", subject: "", text: "", messageID: "x@y", date: 0))
        #expect(headerAndBody(empty).head.contains("\r\nSubject:\r\n"))
    }

    @Test(arguments: [
        ("Hi\r\nBcc: victim@example.com", "a@b.example", "c@d.example", "x@y"),
        ("Hi\nBcc: victim@example.com", "a@b.example", "c@d.example", "x@y"),
        ("Hi\rthere", "a@b.example", "c@d.example", "x@y"),
        ("nul\u{0}", "a@b.example", "c@d.example", "x@y"),
        ("next line\u{85}", "a@b.example", "c@d.example", "x@y"),
        ("Hi", "a@b.example\r\nBcc: victim@example.com", "c@d.example", "x@y"),
        ("Hi", "a@b.example", "c@d.example\nBcc: victim@example.com", "x@y"),
        ("Hi", "a@b.example", "c@d.example", "x@y>\r\nBcc: victim@example.com"),
        ("Hi", "a@b.example", "c@d.example", "no-at-sign"),
        ("Hi", "a@b.example", "c@d.example", "x@y@z"),
    ])
    func headerInjectionIsRefused(subject: String, from: String, to: String, id: String) {
        #expect(EmailMessage(from: from, to: to, subject: subject, text: "body", messageID: id, date: 0) == nil)
    }

    @Test func addressesAreCheckedMinimally() {
        for good in ["ops@example.com", "first.last+tag@sub.example-host.org", "x@localhost", "o'brien@example.ie", String(repeating: "l", count: 64) + "@example.com"] {
            #expect(EmailAddress(good) != nil, "\(good)")
        }
        let tooLong = String(repeating: "l", count: 60) + "@" + String(repeating: "d", count: 190) + ".com"
        #expect(tooLong.utf8.count > 254)
        for bad in ["", "no-at", "two@@example.com", "a@b@c.com", "@example.com", "ops@", "o ps@example.com", "ops@exa mple.com",
                    "<ops@example.com>", "ops@example..com", ".ops@example.com", "ops.@example.com", "ops@.example.com",
                    "\"quoted\"@example.com", "ops@[192.0.2.1]", "opé@example.com", "ops@exämple.com", "ops\t@example.com",
                    "ops@example.com\r", String(repeating: "l", count: 65) + "@example.com", tooLong] {
            #expect(EmailAddress(bad) == nil, "\(bad.debugDescription)")
        }
    }

    @Test func longLinesAreBrokenAndComeBackWhole() throws {
        let text = String(repeating: "0123456789 ", count: 500) + "\n" + String(repeating: "é", count: 700) + "   \nend with tab\t\n= sign\r\n\r\nlast"
        let message = try #require(EmailMessage(from: "a@b.example", to: "c@d.example", subject: "s", text: text, messageID: "x@y", date: 0))
        let body = headerAndBody(message).body
        for line in String(decoding: message.rendered, as: UTF8.self).components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "RFC 5322 §2.1.1 (and 998 is the hard limit)")
        }
        #expect(!body.contains(" \r\n") && !body.contains("\t\r\n"), "no white space at the end of an encoded line")
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        #expect(decodeQuotedPrintable(body) == normalized)
    }

    @Test func dotStuffingDoublesLeadingDotsAndEndsTheData() {
        let stuffed = DotStuffing.encode(Array(".start\r\nmid.dle\r\n.\r\n..two\r\nend\r\n".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "..start\r\nmid.dle\r\n..\r\n...two\r\nend\r\n.\r\n")
        #expect(String(decoding: DotStuffing.encode(Array("no final break".utf8)), as: UTF8.self) == "no final break\r\n.\r\n")
        let message = EmailMessage(from: "a@b.example", to: "c@d.example", subject: "s", text: ".\n.hidden", messageID: "x@y", date: 0)!
        #expect(String(decoding: DotStuffing.encode(message.rendered), as: UTF8.self).hasSuffix("\r\n\r\n..\r\n..hidden\r\n.\r\n"))
    }

    @Test func boundsAreKept() {
        #expect(EmailMessage(from: "a@b.example", to: "c@d.example", subject: String(repeating: "s", count: 2049), text: "", messageID: "x@y", date: 0) == nil)
        #expect(EmailMessage(from: "a@b.example", to: "c@d.example", subject: "s", text: String(repeating: "t", count: (1 << 20) + 1), messageID: "x@y", date: 0) == nil)
        #expect(EmailMessage(from: "a@b.example", to: "c@d.example", subject: "s", text: "", messageID: "x@y", date: -5) == nil)
    }
}
