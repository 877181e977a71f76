/// Where the next page of a provider's list starts.
public enum ProviderCursor: Sendable, Equatable {
    /// Paystack: the page number (`meta.page` + 1 while below `meta.pageCount`).
    case page(Int)
    /// Stripe: `starting_after`, the last object's id on this page (while `has_more`).
    case startingAfter(String)
}

/// One page of a provider's list, read as answers; `next` is nil on the last page.
public struct ProviderPage: Sendable, Equatable {
    public var answers: [ProviderAnswer]
    public var next: ProviderCursor?

    public init(answers: [ProviderAnswer], next: ProviderCursor?) {
        self.answers = answers
        self.next = next
    }
}
