/// A `Date:` field value (RFC 5322 §3.3): `Thu, 01 Jan 1970 00:00:00 +0000`, always in
/// UTC, from milliseconds since the Unix epoch. The calendar arithmetic is the proleptic
/// Gregorian one (days to civil date, as in H. Hinnant's `civil_from_days`), so no clock
/// or time zone database is read: the caller injects the time.
enum MessageDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Nil before 1970 or after 9999 (RFC 5322 §3.3 wants four-digit years).
    static func format(milliseconds: Int64) -> String? {
        guard milliseconds >= 0, milliseconds < 253_402_300_800_000 else { return nil }
        let seconds = milliseconds / 1000
        let dayNumber = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // civil_from_days: eras of 400 years, March-based years so February comes last.
        let z = dayNumber + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = days[Int(dayNumber % 7)]
        return "\(weekday), \(pad(day)) \(months[Int(month - 1)]) \(year) "
            + "\(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60)) +0000"
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
