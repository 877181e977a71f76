import Hub
import Records

/// `GET /api/notifications`: the user's inbox, newest first, and their unseen count.
public struct ReadNotifications: MoneyReadOperation {
    public typealias Reply = (notifications: [UserNotification], unseen: Int)

    public var userId: String
    /// nil: unseen and read (not archived).
    public var status: UserNotification.Status?
    public var limit: Int
    public var before: Int64?
    /// The words of a ledger entry's notification.
    public var templates: NotificationTemplates

    public init(userId: String, status: UserNotification.Status?, limit: Int, before: Int64?, templates: NotificationTemplates) {
        self.userId = userId
        self.status = status
        self.limit = limit
        self.before = before
        self.templates = templates
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> (notifications: [UserNotification], unseen: Int) {
        (try store.notifications(of: userId, status: status, limit: limit, before: before, templates: templates),
         try store.unseenNotifications(of: userId))
    }
}

/// `POST /api/notifications/read` and `/archive`: the user's notifications with these ids,
/// or all up to an id; the unseen count after, pushed to the user's sockets.
public struct MarkNotifications: MoneyWriteOperation {
    public typealias Reply = (changed: Int, unseen: Int)

    public var userId: String
    public var ids: [Int64]
    public var upTo: Int64?
    public var archive: Bool

    public init(userId: String, ids: [Int64], upTo: Int64?, archive: Bool) {
        self.userId = userId
        self.ids = ids
        self.upTo = upTo
        self.archive = archive
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<(changed: Int, unseen: Int), MoneyRefusal> {
        let changed = try writer.store.mark(user: userId, ids: ids, upTo: upTo, archive: archive, at: writer.clock.nowMilliseconds)
        let unseen = try writer.store.unseenNotifications(of: userId)
        writer.unseenCounts[userId] = unseen
        if changed > 0 { writer.pendingEffects.append(.unseenChanged(userId: userId, unseen: unseen)) }
        return .success((changed, unseen))
    }
}

/// `GET /api/notifications/preferences`.
public struct ReadNotificationPreferences: MoneyReadOperation {
    public typealias Reply = NotificationPreferences

    public var userId: String

    public init(userId: String) { self.userId = userId }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> NotificationPreferences {
        try store.notificationPreferences(of: userId)
    }
}

/// `PUT /api/notifications/preferences`: the user's choices replaced; an email address given
/// replaces theirs. Answers them as stored.
public struct SetNotificationPreferences: MoneyWriteOperation {
    public typealias Reply = NotificationPreferences

    public var userId: String
    public var preferences: NotificationPreferences
    /// nil: the address is left as it is; "": removed.
    public var email: String?

    public init(userId: String, preferences: NotificationPreferences, email: String?) {
        self.userId = userId
        self.preferences = preferences
        self.email = email
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<NotificationPreferences, MoneyRefusal> {
        try writer.store.setNotificationPreferences(of: userId, preferences, email: email, at: writer.clock.nowMilliseconds)
        let stored = try writer.store.notificationPreferences(of: userId)
        writer.notificationPreferences[userId] = stored
        return .success(stored)
    }
}

/// `POST /api/notifications`: a notice the shop writes itself (its own kind, or one of the
/// hub's), with its words or the kind's template.
public struct PostNotification: MoneyWriteOperation {
    public typealias Reply = UserNotification

    public var userId: String
    public var kind: String
    public var title: String?
    public var message: String?
    public var amount: Money?
    public var currency: String?
    public var reference: String?
    public var link: String?

    public init(userId: String, kind: String, title: String?, message: String?, amount: Money?, currency: String?, reference: String?, link: String?) {
        self.userId = userId
        self.kind = kind
        self.title = title
        self.message = message
        self.amount = amount
        self.currency = currency
        self.reference = reference
        self.link = link
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<UserNotification, MoneyRefusal> {
        let template = writer.configuration.notifications.templates.render(kind, amount: amount?.description, balance: nil,
                                                                           reference: reference, description: message)
        let words = (title: title ?? template.title, message: message ?? template.message)
        return .success(try writer.notify(userId: userId, kind: kind, words: words, amount: amount, currency: currency,
                                          reference: reference, link: link, now: writer.clock.nowMilliseconds))
    }
}
