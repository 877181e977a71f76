/// One step of a user's journey, as the shop backend reports it (`POST /api/activity`).
public struct ActivityEvent: Sendable, Equatable {
    public var id: Int64
    public var userId: String?
    public var email: String?
    public var action: String
    public var status: String
    public var details: String?
    public var errorMessage: String?
    public var createdAt: Int64

    public init(id: Int64, userId: String?, email: String?, action: String, status: String, details: String?,
                errorMessage: String?, createdAt: Int64) {
        self.id = id
        self.userId = userId
        self.email = email
        self.action = action
        self.status = status
        self.details = details
        self.errorMessage = errorMessage
        self.createdAt = createdAt
    }

    /// Who it is about: the user id when known, else the email (lower-cased).
    public var actor: String { userId.map { "u:" + $0 } ?? "e:" + (email ?? "").lowercased() }
}
