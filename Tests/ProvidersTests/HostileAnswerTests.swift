import HTTP1
import Testing
@testable import Providers

/// Every parser fed garbage and damaged copies of the documented answers: none may trap,
/// and whatever it accepts keeps only bounded text.
@Suite("Hostile answers")
struct HostileAnswerTests {
    /// SplitMix64: the same bytes on every run, so a failure can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    typealias Parse = @Sendable ([UInt8], Int) -> [ProviderAnswer]?

    static let parsers: [(name: String, sample: String, parse: Parse)] = [
        ("paystack verify", PaystackAPITests.verified, { (try? PaystackAPI.parseVerify(reference: "rd0bz6z2wu", status: $1, body: $0).get()).map { [$0] } }),
        ("paystack list", PaystackAPITests.listed.replacingOccurrences("PAGES", "2"), { (try? PaystackAPI.parseList(status: $1, body: $0).get())?.answers }),
        ("stripe object", StripeAPITests.session, { (try? StripeAPI.parseObject(reference: "ORD-1002", status: $1, body: $0).get()).map { [$0] } }),
        ("stripe events", StripeAPITests.events(hasMore: true), { (try? StripeAPI.parseEvents(status: $1, body: $0).get())?.answers }),
        ("nowpayments", NOWPaymentsAPITests.finished, { (try? NOWPaymentsAPI.parsePayment(reference: "RGDBP-21314", status: $1, body: $0).get()).map { [$0] } }),
        ("mpesa query", MPesaAPITests.processed, { (try? MPesaAPI.parseSTKQuery(checkoutRequestID: "ws_CO_13012021093521236557", status: $1, body: $0).get()).map { [$0] } }),
        ("mpesa token", #"{"access_token":"SGWcJPtNtYNPGm6uSYR9yPYrAI3Bm","expires_in":"3599"}"#, { body, status in
            guard let token = try? MPesaAPI.parseToken(status: status, body: body).get() else { return nil }
            #expect(token.token.utf8.count <= 4096 && HeaderValue.isSafe(token.token) && (1...86_400).contains(token.expiresInSeconds))
            return []
        }),
    ]

    static let pieces = [#"""#, "{", "}", "[", "]", ",", ":", "null", "true", "-0", "1e999", "99999999999999999999999", "\\u0000",
                         "\\ud800", #""status""#, #""amount""#, #""data""#, String(repeating: "[", count: 100)]

    func check(_ answers: [ProviderAnswer], _ name: String) {
        for answer in answers {
            #expect(answer.reference.utf8.count <= 256 && !answer.reference.utf8.contains(0), "\(name)")
            #expect((answer.message?.unicodeScalars.count ?? 0) <= 500 && (answer.email?.utf8.count ?? 0) <= 320, "\(name)")
            #expect((answer.providerReference?.utf8.count ?? 0) <= 255 && (answer.currency?.utf8.count ?? 0) <= 16, "\(name)")
            #expect((answer.amount?.minorUnits ?? 0) >= 0, "\(name)")
        }
    }

    @Test func damagedDocumentedAnswersNeverTrap() {
        var random = Generator(state: 29)
        let statuses = [200, 200, 200, 400, 404, 429, 500, 0, 999]
        for (name, sample, parse) in Self.parsers {
            let original = Array(sample.utf8)
            for _ in 0..<1500 {
                var body = original
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let at = Int.random(in: 0...body.count, using: &random)
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0 where at < body.count: body[at] = UInt8.random(in: 0...255, using: &random)
                    case 1: body = Array(body.prefix(at))
                    case 2: body.insert(contentsOf: Array(Self.pieces.randomElement(using: &random)!.utf8), at: at)
                    default: if at < body.count { body.remove(at: at) }
                    }
                }
                if let answers = parse(body, statuses.randomElement(using: &random)!) { check(answers, name) }
            }
        }
    }

    @Test func randomBytesAndDeepNestingAreRefused() {
        var random = Generator(state: 1029)
        for (name, _, parse) in Self.parsers {
            for _ in 0..<300 {
                let body = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                #expect(parse(body, 200) == nil, "\(name)")
            }
            #expect(parse(Array(String(repeating: "[", count: 100_000).utf8), 200) == nil, "\(name)")
            #expect(parse(Array(("{\"a\":" + String(repeating: "{\"a\":", count: 50_000)).utf8), 200) == nil, "\(name)")
            #expect(parse([UInt8](repeating: 0x20, count: (1 << 20) + 1) + Array("{}".utf8), 200) == nil, "\(name)")
        }
    }
}
