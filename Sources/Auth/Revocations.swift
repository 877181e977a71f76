import Synchronization

/// Tokens and console sessions revoked before they expire: one by its id (`jti`), or every
/// one of a subject issued before a time. Read on every authenticated request and socket
/// join, from any loop; written when this node revokes and when it reads another node's
/// revocations from the records database (so a cluster shares them).
public final class Revocations: Sendable {
    private struct State {
        var ids: Set<String> = []
        /// Subject → tokens issued at or before this second are refused.
        var subjects: [String: Int64] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public enum Revocation: Sendable, Equatable {
        case id(String)
        case subject(String, issuedBefore: Int64)
    }

    public func add(_ revocation: Revocation) {
        state.withLock { state in
            switch revocation {
            case .id(let id): state.ids.insert(id)
            case .subject(let subject, let before): state.subjects[subject] = max(state.subjects[subject] ?? .min, before)
            }
        }
    }

    /// `issuedAt` 0 for a token that does not say (one minted elsewhere without `iat`):
    /// any revocation of its subject covers it.
    public func isRevoked(id: String?, subject: String, issuedAt: Int64) -> Bool {
        state.withLock { state in
            if let id, state.ids.contains(id) { return true }
            if let before = state.subjects[subject], issuedAt <= before { return true }
            return false
        }
    }
}
