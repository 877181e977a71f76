import Auth
import HTTP1
import Hub
import JSON
import Money

/// The notifications' routes (README "Notifications"): a wallet user's inbox and
/// preferences. A balance token reads and changes its own user's only; the API key or an
/// admin token any user's (`user_id`); support reads.
enum NotificationRoutes {
    static let entries: [RouteEntry] = [
        RouteEntry(.get, "/api/notifications", .keyOrToken([.balance, .support, .admin]), limitedRead: true) { router, r throws(APIError) in
            let query = r.query
            let user = try Self.user(r, named: query["user_id"])
            var status: UserNotification.Status?
            switch query["status"] ?? "all" {
            case "all": status = nil
            case let text: guard let known = UserNotification.Status(rawValue: text) else {
                throw QueryParameters.invalid("status must be unseen, read, archived or all")
            }
                status = known
            }
            let limit = try QueryParameters.integer(query, "limit", in: 1...200) ?? 50
            let before = try QueryParameters.integer(query, "before", in: 1...Int(Int64.max)).map(Int64.init)
            let linkBase = router.configuration.publicURL
            return .money(ReadNotifications(userId: user, status: status, limit: limit, before: before,
                                                  templates: router.configuration.notifications.templates)) { read in
                Router.json(NotificationMessages.inbox(read.notifications, unseen: read.unseen, linkBase: linkBase))
            }
        },
        RouteEntry(.get, "/api/notifications/count", .keyOrToken([.balance, .support, .admin]), limitedRead: true) { router, r throws(APIError) in
            let user = try Self.user(r, named: r.query["user_id"])
            return .money(ReadNotifications(userId: user, status: .unseen, limit: 1, before: nil, templates: router.configuration.notifications.templates)) { read in
                Router.json(NotificationMessages.count(userId: user, unseen: read.unseen))
            }
        },
        RouteEntry(.post, "/api/notifications/read", .keyOrToken([.balance, .admin])) { router, r throws(APIError) in
            try Self.mark(router, r, archive: false)
        },
        RouteEntry(.post, "/api/notifications/archive", .keyOrToken([.balance, .admin])) { router, r throws(APIError) in
            try Self.mark(router, r, archive: true)
        },
        RouteEntry(.get, "/api/notifications/preferences", .keyOrToken([.balance, .support, .admin])) { router, r throws(APIError) in
            let user = try Self.user(r, named: r.query["user_id"])
            let settings = router.configuration.notifications
            return .money(ReadNotificationPreferences(userId: user)) { preferences in
                Router.json(NotificationMessages.preferences(userId: user, preferences, defaults: settings.defaults, critical: settings.critical))
            }
        },
        RouteEntry(.put, "/api/notifications/preferences", .keyOrToken([.balance, .admin])) { router, r throws(APIError) in
            let fields = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_preferences")
            let user = try Self.user(r, named: try fields.text("user_id", max: 128))
            let (preferences, email) = try NotificationRequests.preferences(fields)
            let settings = router.configuration.notifications
            return .money(SetNotificationPreferences(userId: user, preferences: preferences, email: email)) { stored in
                Router.json(NotificationMessages.preferences(userId: user, stored, defaults: settings.defaults, critical: settings.critical))
            }
        },
        // A shop's own notice to one user (its kind, its words or the kind's template).
        RouteEntry(.post, "/api/notifications", .keyOrToken([.admin])) { router, r throws(APIError) in
            let post = try NotificationRequests.post(try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_notification"))
            let linkBase = router.configuration.publicURL
            return .money(post) { n in HTTPResponse(status: .created, headers: HTTPHeaders([("Content-Type", "application/json")]), body: NotificationMessages.pushed(n, unseen: 0, linkBase: linkBase)) }
        },
    ]

    /// The user whose notifications these are: `user_id`, or a balance token's own; a
    /// balance token naming another user is refused.
    static func user(_ r: RouteRequest, named given: String?) throws(APIError) -> String {
        let balanceToken = r.token.flatMap { $0.scope == .balance ? $0 : nil }
        guard let user = given ?? balanceToken?.subject, !user.isEmpty else { throw QueryParameters.invalid("user_id is required") }
        guard user.utf8.count <= 128, !user.utf8.contains(0) else { throw QueryParameters.invalid("user_id is at most 128 bytes, without NUL") }
        if let balanceToken, balanceToken.subject != user {
            throw APIError(.forbidden, code: "wrong_user", message: "a balance token reads and changes its own user's notifications only")
        }
        return user
    }

    private static func mark(_ router: Router, _ r: RouteRequest, archive: Bool) throws(APIError) -> Route {
        let fields = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_notifications")
        let user = try user(r, named: try fields.text("user_id", max: 128))
        let (ids, upTo) = try NotificationRequests.which(fields)
        return .money(MarkNotifications(userId: user, ids: ids, upTo: upTo, archive: archive)) { result in
            Router.json(Array(#"{"changed":\#(result.changed),"unseen":\#(result.unseen)}"#.utf8))
        }
    }
}
