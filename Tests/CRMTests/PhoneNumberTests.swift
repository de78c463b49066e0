import Testing

@testable import CRMService

@Suite("Phones are normalized to E.164 with Brazil as the default country")
struct PhoneNumberTests {
    @Test(
        "numbers as people and channels write them become E.164",
        arguments: [
            ("(11) 98765-4321", "+5511987654321"),
            ("11 98765 4321", "+5511987654321"),
            ("5511987654321", "+5511987654321"),
            ("+55 (11) 98765-4321", "+5511987654321"),
            ("011987654321", "+5511987654321"),
            ("(21) 3456-7890", "+552134567890"),
            ("+1 415 555 2671", "+14155552671"),
            ("14155552671", "+14155552671"),
            ("0044 20 7946 0958", "+442079460958"),
            ("+44 20 7946 0958", "+442079460958"),
        ])
    func normalizes(input: String, expected: String) {
        #expect(PhoneNumber(input)?.e164 == expected)
    }

    @Test(
        "garbage is refused",
        arguments: [
            "abc", "call me", "12345", "98765-4321", "+0 11 98765 4321", "(11) 8765-4321x", "+55 11 8765 43210",
            "+1234567890123456", "(00) 98765-4321", "++5511987654321", "11 1234-5678",
        ])
    func refuses(input: String) {
        #expect(PhoneNumber(input) == nil)
    }

    @Test("an empty phone is no phone, a bad one an error")
    func normalizeResult() throws {
        #expect(try LeadInput.phone("  ") == "")
        #expect(throws: (any Error).self) { try LeadInput.phone("not a phone") }
    }

    @Test("emails are lower-cased and checked")
    func emails() throws {
        #expect(try LeadInput.email("  Ana.Silva@Example.COM ") == "ana.silva@example.com")
        #expect(throws: (any Error).self) { try LeadInput.email("ana@") }
        #expect(throws: (any Error).self) { try LeadInput.email("ana silva@example.com") }
    }
}
