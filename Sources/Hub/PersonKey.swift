/// A person as one of their keys names them: whose sessions support looks up, whose data
/// an erasure removes.
public enum PersonKey: Sendable, Equatable {
    case email(String)
    case phone(String)
    case userId(String)
    case sessionId(String)

    /// The key's kind as requests and the erasure record name it (never the key itself).
    public var kind: String {
        switch self {
        case .email: return "email"
        case .phone: return "phone"
        case .userId: return "user_id"
        case .sessionId: return "session_id"
        }
    }

    /// A key from its kind's name and its value (as `kind` names them); nil for another kind.
    public init?(kind: String, value: String) {
        switch kind {
        case "email": self = .email(value)
        case "phone": self = .phone(value)
        case "user_id": self = .userId(value)
        case "session_id": self = .sessionId(value)
        default: return nil
        }
    }

    /// The key as given.
    public var value: String {
        switch self {
        case .email(let v), .phone(let v), .userId(let v), .sessionId(let v): return v
        }
    }

    /// The key as it is compared: an email without case, a phone by its digits.
    public var normalized: String {
        switch self {
        case .email(let email): return EmailKey.of(email)
        case .phone(let phone): return PhoneNumber.digits(phone)
        case .userId(let id), .sessionId(let id): return id
        }
    }

    /// Whether a record with these contact fields belongs to the person.
    public func matches(sessionId: String?, userId: String?, email: String?, phone: String?) -> Bool {
        switch self {
        case .email(let wanted): return email.map { EmailKey.of($0) == EmailKey.of(wanted) } ?? false
        case .phone(let wanted): return phone.map { PhoneNumber.digits($0) == PhoneNumber.digits(wanted) } ?? false
        case .userId(let wanted): return userId == wanted
        case .sessionId(let wanted): return sessionId == wanted
        }
    }
}

/// What an erasure removed from presence.
public struct PresenceErasure: Sendable, Equatable {
    public var sessions = 0
    public var paymentErrors = 0
    /// The sessions removed.
    public var sessionIds: Set<String> = []

    public init() {}
}
