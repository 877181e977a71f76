import Hub

/// Cluster mode: people erased on another node while this one was down are still in this
/// node's snapshot (it never heard the announcement). Before the snapshot is loaded, each
/// session and payment error whose keys hash to an erasure recorded since it was saved is
/// dropped; the erasures table holds the hashes, never the keys.
enum SnapshotErasures {
    /// Returns the sessions and payment errors dropped.
    static func apply(_ erased: [String: Set<String>], to snapshot: inout HubSnapshot, secret: [UInt8]) -> (sessions: Int, paymentErrors: Int) {
        guard !erased.isEmpty else { return (0, 0) }
        func isErased(_ keys: [PersonKey?]) -> Bool {
            keys.contains { key in
                guard let key, let hashes = erased[key.kind] else { return false }
                return hashes.contains(ErasureCall.keyed(key, "erasure", secret: secret))
            }
        }
        let sessions = snapshot.sessions.count, errors = snapshot.paymentErrors.count
        snapshot.sessions.removeAll { session in
            isErased([.sessionId(session.id), session.userId.map(PersonKey.userId), session.email.map(PersonKey.email), session.phone.map(PersonKey.phone)])
        }
        snapshot.paymentErrors.removeAll { error in
            isErased([.sessionId(error.sessionId), error.email.map(PersonKey.email), error.phone.map(PersonKey.phone)])
        }
        return (sessions - snapshot.sessions.count, errors - snapshot.paymentErrors.count)
    }
}
