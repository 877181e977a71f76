import HTTP1
import Hub
import Money

/// The one place a money failure becomes its HTTP answer (with `APIError`, which writes it).
extension MoneyFailure {
    var response: HTTPResponse { apiError.response }

    var apiError: APIError {
        switch self {
        case .refused(let refusal):
            return refusal.apiError
        case .cancelled:
            return APIError(.serviceUnavailable, code: "read_deadline",
                            message: "the read ran past its deadline and was stopped; ask for less (a shorter window, a filter, a lower limit)")
        case .busy:
            var error = APIError(.serviceUnavailable, code: "busy", message: "too many reads are waiting; try again in a moment")
            error.headers.add(name: "Retry-After", value: "1")
            return error
        case .unavailable:
            return APIError(.serviceUnavailable, code: "database_unavailable",
                            message: "the records database cannot take or give this now; nothing was changed. Try again.")
        }
    }
}

extension MoneyRefusal {
    var apiError: APIError {
        switch self {
        case .unknownPayment(let reference):
            return APIError(.notFound, code: "unknown_payment", message: "no payment with reference \(reference); nothing was recorded")
        case .balanceOutOfRange:
            return APIError(.unprocessableContent, code: "balance_out_of_range",
                            message: "the balance would go beyond ±\(Money.limit); nothing was recorded")
        case .referenceConflict(let original):
            var error = APIError(.conflict, code: "reference_conflict",
                                 message: "reference \(original.reference) was used for another user, amount or type; nothing was recorded")
            error.detail = ("transaction", MoneyMessages.transaction(original))
            return error
        case .noSuchPayment(let reference):
            return APIError(.notFound, code: "not_found", message: "no payment with reference \(reference)")
        case .paymentNotCreditable(let reason):
            return APIError(.conflict, code: "not_creditable", message: reason + "; nothing was recorded")
        case .tooMany(let what, let limit):
            return APIError(.conflict, code: "too_many", message: "a shop may define at most \(limit) \(what); delete one first")
        case .erasureAlreadyConfirmed:
            return APIError(.conflict, code: "confirmation_used", message: "this confirmation was carried out before; ask for a new preview")
        }
    }
}
