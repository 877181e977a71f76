/// A key or secret of a provider's API, kept so that no printing of it, or of a value that
/// holds it, shows it: `description`, `debugDescription` and reflection (`dump`, `Mirror`)
/// all give "<redacted>". Only the request builders read `value`.
struct ProviderSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    static let redacted = "<redacted>"
    private let text: String

    init(_ text: String) { self.text = text }

    /// For the one header that carries it.
    var value: String { text }
    var isEmpty: Bool { text.isEmpty }
    /// A header value cannot carry a control character (RFC 9110 §5.5): such a secret would
    /// end the header and start another, so it is refused rather than sent.
    var fitsAHeader: Bool { HeaderValue.isSafe(text) }

    var description: String { Self.redacted }
    var debugDescription: String { Self.redacted }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// What a configured secret lacks, as `ProviderCallError.notConfigured`.
func secretProblem(_ secret: ProviderSecret, named name: String) -> ProviderCallError? {
    if secret.isEmpty { return .notConfigured("no \(name) is configured") }
    if !secret.fitsAHeader { return .notConfigured("the \(name) holds a control character, which no HTTP header can carry") }
    return nil
}
