import HTTP1
import HTTPClient
import Providers

/// Small helpers the provider tests share.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func headers(_ fields: [(String, String)]) -> HTTPHeaders { HTTPHeaders(fields.map { (name: $0.0, value: $0.1) }) }

/// The failure's case, with a bad answer's words dropped: tests name the case they expect.
enum FailureKind: Equatable {
    case notConfigured, unauthorized(Int), rateLimited(Int?), unavailable(Int), badAnswer
}

func failure<T>(_ result: Result<T, ProviderCallError>) -> FailureKind? {
    guard case .failure(let error) = result else { return nil }
    switch error {
    case .notConfigured: return .notConfigured
    case .unauthorized(let status): return .unauthorized(status)
    case .rateLimited(let seconds): return .rateLimited(seconds)
    case .unavailable(let status): return .unavailable(status)
    case .badAnswer: return .badAnswer
    }
}

extension OutgoingRequest {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

extension String {
    /// Every `target` replaced (no Foundation in the tests either).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
