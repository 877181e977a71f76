/// The sessions each person key names, so that finding one person (support's lookup, an
/// erasure and its preview) reads only that person's sessions instead of every session
/// in the table: a million sessions scanned held the hub's thread for hundreds of ms.
///
/// Keys are compared as `PersonKey.matches` compares them: an email by `EmailKey.of`, a
/// phone by its digits, a user id exactly. A session id needs no entry here: the table's
/// own map from id to slot finds it. `SessionTable` keeps the index, since every write to
/// a session passes through it (a restored hub's is built as its table is filled); an
/// entry lives exactly as long as its session names the key, and a key with no session
/// left is removed, so the index never outgrows the table.
struct PersonIndex: Equatable {
    /// The fields of a session that name its person, as written.
    struct Contact: Equatable {
        var userId: String?
        var email: String?
        var phone: String?

        init(userId: String? = nil, email: String? = nil, phone: String? = nil) {
            self.userId = userId
            self.email = email
            self.phone = phone
        }

        init(_ session: Session) {
            self.init(userId: session.userId, email: session.email, phone: session.phone)
        }

        /// Read in place (see `SessionTable.settle`).
        init(_ session: UnsafePointer<Session?>) {
            self.init(userId: session.pointee!.userId, email: session.pointee!.email, phone: session.pointee!.phone)
        }
    }

    private var byEmailKey: [String: Set<String>] = [:]
    private var byPhoneDigits: [String: Set<String>] = [:]
    private var byUserId: [String: Set<String>] = [:]

    init() {}

    /// The index of these sessions, built from nothing (tests compare the kept one with it).
    init(of sessions: some Sequence<Session>) {
        for session in sessions { add(session.id, Contact(session)) }
    }

    /// The ids of the sessions `key` names (nil for a session id: the table finds that).
    /// A phone without digits names nobody: compared by digits alone, it would name every
    /// session whose phone has none, which no request means (the API refuses such a key).
    func sessionIds(named key: PersonKey) -> Set<String>? {
        switch key {
        case .email(let email): return byEmailKey[EmailKey.of(email)] ?? []
        case .phone(let phone): return byPhoneDigits[PhoneNumber.digits(phone)] ?? []
        case .userId(let userId): return byUserId[userId] ?? []
        case .sessionId: return nil
        }
    }

    /// Session ids held, over all keys (tests: the index holds what the table names, no more).
    var entryCount: Int {
        [byEmailKey, byPhoneDigits, byUserId].reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } }
    }

    var isEmpty: Bool { byEmailKey.isEmpty && byPhoneDigits.isEmpty && byUserId.isEmpty }

    mutating func add(_ id: String, _ contact: Contact) {
        if let userId = contact.userId { Self.insert(id, under: userId, into: &byUserId) }
        if let email = contact.email { Self.insert(id, under: EmailKey.of(email), into: &byEmailKey) }
        if let digits = contact.phone.map(PhoneNumber.digits), !digits.isEmpty { Self.insert(id, under: digits, into: &byPhoneDigits) }
    }

    mutating func remove(_ id: String, _ contact: Contact) {
        if let userId = contact.userId { Self.delete(id, under: userId, from: &byUserId) }
        if let email = contact.email { Self.delete(id, under: EmailKey.of(email), from: &byEmailKey) }
        if let digits = contact.phone.map(PhoneNumber.digits), !digits.isEmpty { Self.delete(id, under: digits, from: &byPhoneDigits) }
    }

    /// A session's contact fields were written. Only a field that changed is looked at, and
    /// its keys derived only then (an email key can cost a Unicode normalization).
    mutating func update(_ id: String, from old: Contact, to new: Contact) {
        if old.userId != new.userId {
            if let userId = old.userId { Self.delete(id, under: userId, from: &byUserId) }
            if let userId = new.userId { Self.insert(id, under: userId, into: &byUserId) }
        }
        if old.email != new.email {
            let oldKey = old.email.map(EmailKey.of), newKey = new.email.map(EmailKey.of)
            if oldKey != newKey {
                if let oldKey { Self.delete(id, under: oldKey, from: &byEmailKey) }
                if let newKey { Self.insert(id, under: newKey, into: &byEmailKey) }
            }
        }
        if old.phone != new.phone {
            let oldDigits = old.phone.map(PhoneNumber.digits) ?? "", newDigits = new.phone.map(PhoneNumber.digits) ?? ""
            if oldDigits != newDigits {
                if !oldDigits.isEmpty { Self.delete(id, under: oldDigits, from: &byPhoneDigits) }
                if !newDigits.isEmpty { Self.insert(id, under: newDigits, into: &byPhoneDigits) }
            }
        }
    }

    private static func insert(_ id: String, under key: String, into map: inout [String: Set<String>]) {
        map[key, default: []].insert(id)
    }

    private static func delete(_ id: String, under key: String, from map: inout [String: Set<String>]) {
        guard let index = map.index(forKey: key) else { return }
        map.values[index].remove(id)
        if map.values[index].isEmpty { map.remove(at: index) }
    }
}
