import Access
import Contracts
import Foundation
import Postgres
import RPC

/// ImportLeads: leads from a CSV file, good rows kept and bad rows reported.
extension CRMHandlers {
    /// The columns an import reads (header names, case-insensitive; others are ignored).
    static let importColumns: Set<String> = [
        "name", "email", "phone", "company", "position", "interest", "notes", "source", "segment", "temperature",
        "score", "tags", "status",
    ]
    static let maximumImportRows = 10_000

    /// Imports every valid row as a new lead (leads:manage), source `import` unless the row
    /// says; each row is its own savepoint, so a refused row (bad field, a phone another lead
    /// has, the same phone twice in the file) never undoes the others. `lead.created` per lead.
    func importLeads(_ request: CRM.ImportLeadsRequest, _ context: RPCContext) async throws -> CRM.ImportLeadsResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsManage)
        let records: [CSV.Record]
        do {
            records = try CSV.parse(request.csv)
        } catch let error as CSV.SyntaxError {
            throw RPCError(.invalidArgument, "the CSV has an unterminated quoted field (line \(error.line))")
        }
        guard let header = records.first else { throw RPCError(.invalidArgument, "the CSV is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard columns.contains(where: { ["name", "email", "phone"].contains($0) }) else {
            throw RPCError(.invalidArgument, "the CSV header must name a name, email or phone column")
        }
        let rows = records.dropFirst()
        guard rows.count <= Self.maximumImportRows else {
            throw RPCError(.invalidArgument, "a CSV import may have at most \(Self.maximumImportRows) rows")
        }
        let organizationID = caller.organizationID
        return try await database.withTransaction { connection in
            var response = CRM.ImportLeadsResponse()
            for record in rows {
                var values: [String: String] = [:]
                for (index, column) in columns.enumerated() where Self.importColumns.contains(column) {
                    values[column] = index < record.fields.count ? record.fields[index] : ""
                }
                do {
                    let draft = try Self.importDraft(values, columnCount: record.fields.count, of: columns.count)
                    try await connection.execute("SAVEPOINT import_row")
                    do {
                        let lead = try await Self.insertUnique(draft, organizationID: organizationID, on: connection)
                        try await LeadEvent(lead, userID: caller.userID)
                            .append("lead.created", organizationID: organizationID, on: connection)
                        try await connection.execute("RELEASE SAVEPOINT import_row")
                        response.imported += 1
                    } catch {
                        try await connection.execute("ROLLBACK TO SAVEPOINT import_row")
                        throw error
                    }
                } catch let error as RPCError where error.code == .invalidArgument || error.code == .alreadyExists {
                    response.refused.append(CRM.ImportRefusal(row: Int32(record.line), reason: error.message))
                }
            }
            return response
        }
    }

    /// A row's lead (with its status), checked as CreateLead checks it.
    static func importDraft(_ values: [String: String], columnCount: Int, of expected: Int) throws -> CRM.Lead {
        guard columnCount <= expected else {
            throw RPCError(.invalidArgument, "the row has \(columnCount) fields, the header \(expected)")
        }
        var score: Int32 = 0
        if let text = values["score"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let value = Int32(text) else { throw RPCError(.invalidArgument, "score must be an integer") }
            score = value
        }
        let tags = (values["tags"] ?? "").split(whereSeparator: { $0 == ";" || $0 == "|" }).map(String.init)
        let request = CRM.CreateLeadRequest(
            name: values["name"] ?? "", email: values["email"] ?? "", phone: values["phone"] ?? "",
            company: values["company"] ?? "", position: values["position"] ?? "",
            interest: values["interest"] ?? "", notes: values["notes"] ?? "", source: values["source"] ?? "",
            segment: values["segment"] ?? "", temperature: values["temperature"] ?? "", score: score, tags: tags)
        var draft = try draft(request, defaultSource: "import")
        guard !draft.name.isEmpty || !draft.email.isEmpty || !draft.phone.isEmpty else {
            throw RPCError(.invalidArgument, "a lead needs a name, an email or a phone")
        }
        let statusText = (values["status"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        draft.status = statusText.isEmpty ? "new" : try LeadInput.status(statusText)
        return draft
    }
}
