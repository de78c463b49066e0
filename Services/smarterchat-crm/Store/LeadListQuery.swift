import Contracts
import Foundation
import Postgres
import RPC

/// The filtered, keyset-paginated list of an organization's live leads, newest first
/// (`created_at DESC, id DESC`), as ListLeads and ExportLeads read it.
///
/// One statement whose absent filters are NULL parameters. It is prepared once per connection,
/// but PostgreSQL keeps planning it with each execution's values (a generic plan could not
/// fold the NULL filters away, so it never looks cheaper): `$2::text IS NULL OR ...` folds
/// away and the plan uses the indexes of the filters given (idx_leads_org_created for order and
/// cursor, idx_leads_org_status_created per status, ...); with `q`, the search runs first
/// through its own indexes (``searchMatches``). See bench/leads/plans.sql and
/// bench/out/leads-plans.txt. That planning is paid on every page; the inbox's list is built
/// per filter set instead so that it can settle on generic plans (docs/operations.md,
/// "Generic plans").
struct LeadListQuery: Sendable {
    var status: String?
    var temperature: String?
    var assignedTo: UUID?
    var unassigned = false
    var source: String?
    var tag: String?
    var segment: String?
    var scoreMin: Int?
    var scoreMax: Int?
    var createdFrom: Date?
    var createdTo: Date?
    /// A `to_tsquery('portuguese', ...)` text built from the words of `q`.
    var search: String?
    /// A `LIKE` pattern matching emails that start with `q` (nil when `q` looks like a phone).
    var emailPrefix: String?
    /// `q` was given but holds nothing searchable: no lead matches.
    var matchesNothing = false
    var cursor: LeadCursor?
    var limit: Int

    /// Validates the request's filters (INVALID_ARGUMENT naming the bad one).
    init(_ request: CRM.ListLeadsRequest, maximumLimit: Int) throws {
        func given(_ text: String) -> String? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
        if let status = given(request.status) { self.status = try LeadInput.status(status) }
        if let temperature = given(request.temperature) {
            self.temperature = try LeadInput.temperature(temperature)
        }
        if let assigned = given(request.assignedTo) {
            if assigned == "none" {
                unassigned = true
            } else {
                guard let id = UUID(canonicalText: assigned) else {
                    throw RPCError(.invalidArgument, "assigned_to must be a user id or none")
                }
                assignedTo = id
            }
        }
        source = given(request.source)?.lowercased()
        tag = given(request.tag)
        segment = given(request.segment)
        for (text, field) in [(request.scoreMin, "score_min"), (request.scoreMax, "score_max")] {
            guard let text = given(text) else { continue }
            guard let value = Int(text), (0...100).contains(value) else {
                throw RPCError(.invalidArgument, "\(field) must be an integer between 0 and 100")
            }
            if field == "score_min" { scoreMin = value } else { scoreMax = value }
        }
        for (text, field) in [(request.createdFrom, "created_from"), (request.createdTo, "created_to")] {
            guard let text = given(text) else { continue }
            guard let date = RFC3339.dateOrDay(text) else {
                throw RPCError(.invalidArgument, "\(field) must be an RFC 3339 timestamp or a YYYY-MM-DD date")
            }
            if field == "created_from" { createdFrom = date } else { createdTo = date }
        }
        if let q = given(request.q) {
            guard q.count <= 200 else { throw RPCError(.invalidArgument, "q must have at most 200 characters") }
            search = Self.tsquery(q)
            emailPrefix = Self.emailPrefix(q)
            matchesNothing = search == nil && emailPrefix == nil
        }
        if let cursor = given(request.cursor) {
            guard let decoded = LeadCursor(cursor) else { throw RPCError(.invalidArgument, "cursor is not valid") }
            self.cursor = decoded
        }
        let limit = request.limit == 0 ? 50 : Int(request.limit)
        guard (1...maximumLimit).contains(limit) else {
            throw RPCError(.invalidArgument, "limit must be between 1 and \(maximumLimit)")
        }
        self.limit = limit
    }

    /// Every word of `q` in the name (`'ana' & 'silva'`, stemmed by the `portuguese`
    /// configuration, so plurals and inflections match); a text that looks like a phone becomes
    /// a prefix of its digits (E.164 when it is a full number). Name words are not prefixes: a
    /// prefix makes GIN gather every lead of every matching word before it can intersect with
    /// the organization (tens of milliseconds over a million leads; see bench/out/leads-plans.txt).
    /// Operators and quotes never reach to_tsquery.
    static func tsquery(_ q: String) -> String? {
        if isPhoneLike(q) {
            let number = PhoneNumber(q)?.digits ?? String(q.filter(\.isNumber))
            return "'\(number)':*"
        }
        let words = q.lowercased().split(whereSeparator: \.isWhitespace).map { word in
            String(word.filter { $0.isLetter || $0.isNumber || "@._-".contains($0) })
        }.filter { !$0.isEmpty }
        guard !words.isEmpty else { return nil }
        return words.map { "'\($0)'" }.joined(separator: " & ")
    }

    /// `q` lower-cased with LIKE's wildcards escaped, then `%`; nil for a phone-like text.
    static func emailPrefix(_ q: String) -> String? {
        if isPhoneLike(q) { return nil }
        var pattern = ""
        for character in q.lowercased() {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }

    /// Digits (at least 4) and phone punctuation only.
    static func isPhoneLike(_ q: String) -> Bool {
        let phoneCharacters = CharacterSet(charactersIn: "0123456789+()-. ")
        return q.filter(\.isNumber).count >= 4 && q.unicodeScalars.allSatisfy(phoneCharacters.contains)
    }

    /// The leads matching `q`, found through their indexes before any other filter applies:
    /// name words and phone digits through idx_leads_search (with the organization's lexeme
    /// ANDed in), emails through idx_leads_org_email_live. MATERIALIZED keeps the planner from
    /// folding the search into a scan of the whole organization; whole rows, so each match's
    /// heap page is read once.
    static let searchMatches = """
        WITH matches AS MATERIALIZED (
            SELECT * FROM leads
            WHERE $13::text IS NOT NULL AND numnode(to_tsquery('portuguese', $13)) > 0
              AND search_document @@ (to_tsquery('portuguese', $13) && ('o' || replace($1::text, '-', ''))::tsquery)
            UNION ALL
            SELECT * FROM leads
            WHERE $17::text IS NOT NULL AND organization_id = $1 AND deleted_at IS NULL AND email LIKE $17
              AND NOT ($13::text IS NOT NULL AND numnode(to_tsquery('portuguese', $13)) > 0
                  AND search_document @@ (to_tsquery('portuguese', $13) && ('o' || replace($1::text, '-', ''))::tsquery))
        )

        """

    /// One page: up to `limit` leads and the cursor of the next page (nil on the last).
    func page(organizationID: UUID, on connection: PostgresConnection) async throws -> ([CRM.Lead], LeadCursor?) {
        if matchesNothing { return ([], nil) }
        let searching = search != nil || emailPrefix != nil
        // Without `q` the search parameters are still named (so typed) and fold away.
        let prefix = searching ? Self.searchMatches : ""
        let relation = searching ? "matches AS leads" : "leads"
        let condition = searching ? "TRUE" : "($13::text IS NULL AND $17::text IS NULL)"
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: prefix + """
                    SELECT \(LeadStore.columns) FROM \(relation)
                    WHERE organization_id = $1 AND deleted_at IS NULL
                      AND ($2::text IS NULL OR status = $2)
                      AND ($3::text IS NULL OR temperature = $3)
                      AND ($4::uuid IS NULL OR assigned_to_user_id = $4)
                      AND (NOT $5::boolean OR assigned_to_user_id IS NULL)
                      AND ($6::text IS NULL OR source = $6)
                      AND ($7::text IS NULL OR tags ? $7)
                      AND ($8::text IS NULL OR segment = $8)
                      AND ($9::int IS NULL OR score >= $9)
                      AND ($10::int IS NULL OR score <= $10)
                      AND ($11::timestamptz IS NULL OR created_at >= $11)
                      AND ($12::timestamptz IS NULL OR created_at < $12)
                      AND \(condition)
                      AND ($14::timestamptz IS NULL OR (created_at, id) < ($14::timestamptz, $15::uuid))
                    ORDER BY leads.created_at DESC, leads.id DESC
                    LIMIT $16
                    """),
            [
                organizationID, status, temperature, assignedTo, unassigned, source, tag, segment, scoreMin,
                scoreMax, createdFrom, createdTo, search, cursor?.createdAt, cursor?.id, limit + 1, emailPrefix,
            ])
        var leads: [CRM.Lead] = []
        var last: LeadCursor?
        for row in rows.prefix(limit) {
            leads.append(try LeadStore.lead(from: row))
            last = LeadCursor(createdAt: try LeadStore.cursorTime(row), id: try row.decode(UUID.self, "id"))
        }
        return (leads, rows.count > limit ? last : nil)
    }
}

/// Where a page ends: the last lead's creation time (microseconds) and id, as an opaque
/// base64url text.
struct LeadCursor: Sendable, Equatable {
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as PostgreSQL printed it.
    var createdAt: String
    var id: UUID

    init(createdAt: String, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }

    init?(_ text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard text.count <= 200, let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: "|")
        guard parts.count == 2, let id = UUID(canonicalText: String(parts[1])),
            parts[0].count == 27, parts[0].allSatisfy({ $0.isASCII && ($0.isNumber || "-:.TZ".contains($0)) })
        else { return nil }
        self.init(createdAt: String(parts[0]), id: id)
    }

    var text: String {
        Data("\(createdAt)|\(id.lowercasedString)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
