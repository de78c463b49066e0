import Foundation

/// A phone number in E.164 (`+5511987654321`), the form leads are matched and stored in.
///
/// Input is what people and channels write: `(11) 98765-4321`, `11 3456-7890`,
/// `5511987654321` (a WhatsApp id), `+1 415 555 2671`, `0011 98765 4321` (trunk prefix),
/// `00 44 20 7946 0958` (international prefix). Numbers without a country code are Brazilian
/// (the default country): a two-digit area code (DDD, no zero digit) and 8 digits (landline)
/// or 9 digits starting with 9 (mobile). Letters, too few or too many digits, or a Brazilian
/// number of the wrong shape are refused.
struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    /// `+` and 8 to 15 digits.
    let e164: String

    var description: String { e164 }

    /// The digits without the `+`.
    var digits: String { String(e164.dropFirst()) }

    /// Parses `text`; nil when it is not a phone number.
    init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 40 else { return nil }
        var digits = ""
        var plus = false
        for (offset, character) in trimmed.enumerated() {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if character == "+", offset == 0 {
                plus = true
            } else if !" ()-./".contains(character) {
                return nil
            }
        }
        if !plus, trimmed.hasPrefix("00") {
            plus = true
            digits.removeFirst(2)
        }
        if plus {
            guard Self.isInternational(digits) else { return nil }
            e164 = "+" + digits
            return
        }
        // Brazilian trunk prefix: 0 + DDD + number.
        if digits.hasPrefix("0"), digits.count == 11 || digits.count == 12 {
            digits.removeFirst()
        }
        if Self.isBrazilianNational(digits) {
            e164 = "+55" + digits
        } else if digits.hasPrefix("55"), Self.isBrazilianNational(String(digits.dropFirst(2))) {
            e164 = "+" + digits
        } else if digits.count >= 11, Self.isInternational(digits) {
            // A number given with its country code but no `+` (channel ids are written so).
            e164 = "+" + digits
        } else {
            return nil
        }
    }

    /// The text normalized, or nil for an empty text; throws for a text that is not a phone.
    static func normalize(_ text: String) -> Result<PhoneNumber?, PhoneNumberError> {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .success(nil) }
        guard let phone = PhoneNumber(text) else { return .failure(PhoneNumberError()) }
        return .success(phone)
    }

    /// DDD (two digits 1–9) and 8 digits, or DDD and 9 digits starting with 9.
    private static func isBrazilianNational(_ digits: String) -> Bool {
        let bytes = Array(digits.utf8)
        guard bytes.count == 10 || bytes.count == 11 else { return false }
        guard bytes[0] != UInt8(ascii: "0"), bytes[1] != UInt8(ascii: "0") else { return false }
        if bytes.count == 11 { return bytes[2] == UInt8(ascii: "9") }
        return bytes[2] != UInt8(ascii: "0") && bytes[2] != UInt8(ascii: "1")
    }

    /// 8–15 digits, no leading zero; a +55 number must have the Brazilian shape.
    private static func isInternational(_ digits: String) -> Bool {
        guard (8...15).contains(digits.count), !digits.hasPrefix("0") else { return false }
        if digits.hasPrefix("55") { return isBrazilianNational(String(digits.dropFirst(2))) }
        return true
    }
}

/// A text that is not a phone number.
struct PhoneNumberError: Error, Equatable {}
