import Contracts
import Foundation
import Logging
import Postgres
import RPC

/// The tools the model calls and the intent handlers' actions: lead changes go to crm.
extension ReplyEngine {
    /// Runs one tool call; the result (a JSON object) goes back to the model.
    func run(
        _ call: ChatCompletion.ToolCall, _ request: Request, contactText: String, state: inout ReplyState
    ) async -> JSONValue {
        guard let arguments = JSONValue(text: call.arguments), let members = arguments.objectValue else {
            return ["ok": false, "error": "arguments must be a JSON object"]
        }
        switch call.name {
        case ToolCatalog.captureLeadFields:
            var capture = CRM.CaptureLeadFieldsRequest()
            var captured: [String: JSONValue] = [:]
            for field in ToolCatalog.leadFields {
                guard let value = members[field]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines),
                    !value.isEmpty
                else { continue }
                guard value.count <= 255 else { return ["ok": false, "error": .string("\(field) is too long")] }
                if field == "email", !value.contains("@") {
                    return ["ok": false, "error": "email is not an email address"]
                }
                captured[field] = .string(value)
                switch field {
                case "name": capture.name = value
                case "email": capture.email = value
                case "phone": capture.phone = value
                case "company": capture.company = value
                case "position": capture.position = value
                default: capture.interest = value
                }
            }
            guard !captured.isEmpty else { return ["ok": false, "error": "no field to capture"] }
            if request.dryRun { return ["ok": true, "dry_run": true, "captured": .object(captured)] }
            guard let organizationID = leadTarget(request) else {
                return ["ok": false, "error": "the conversation has no lead"]
            }
            capture.organizationId = organizationID
            capture.leadId = request.leadID
            capture.conversationId = request.conversationID
            capture.actor = "agent:\(request.agent.id.lowercasedString)"
            do {
                _ = try await crm.call(
                    CRM.Service.captureLeadFields, capture, metadata: metadata(request), timeout: .seconds(5))
                return ["ok": true, "captured": .object(captured)]
            } catch {
                return crmFailure(error, "capture_lead_fields", &state)
            }
        case ToolCatalog.qualifyLead:
            guard let temperature = members["temperature"]?.stringValue,
                QualificationRules.temperatures.contains(temperature),
                let score = members["score"]?.numberValue, (0...100).contains(score)
            else { return ["ok": false, "error": "temperature must be hot, warm or cold and score 0 to 100"] }
            let reason = String((members["reason"]?.stringValue ?? "").prefix(500))
            let rules =
                (try? QualificationRules(text: request.agent.settings.leadQualificationRules.text))
                ?? QualificationRules()
            let applied = rules.apply(
                score: Int(score), temperature: temperature, contactText: contactText, intent: state.intent)
            if applied.score != Int(score) || applied.temperature != temperature {
                state.decide(
                    "qualification_rules",
                    "score \(Int(score)) → \(applied.score), \(temperature) → \(applied.temperature) (\(applied.signals) signal(s))"
                )
            }
            let result: JSONValue = [
                "temperature": .string(applied.temperature), "score": .number(Double(applied.score)),
            ]
            if request.dryRun { return ["ok": true, "dry_run": true, "qualified": result] }
            guard let organizationID = leadTarget(request) else {
                return ["ok": false, "error": "the conversation has no lead"]
            }
            do {
                _ = try await crm.call(
                    CRM.Service.qualifyLead,
                    CRM.QualifyLeadRequest(
                        organizationId: organizationID, leadId: request.leadID, temperature: applied.temperature,
                        score: Int32(applied.score), reason: reason, conversationId: request.conversationID,
                        actor: "agent:\(request.agent.id.lowercasedString)"),
                    metadata: metadata(request), timeout: .seconds(5))
                return ["ok": true, "qualified": result]
            } catch {
                return crmFailure(error, "qualify_lead", &state)
            }
        case ToolCatalog.requestHuman:
            let reason = String((members["reason"]?.stringValue ?? "the model asked for a person").prefix(200))
            state.handOff("the AI asked for a person: \(reason)", rule: "tool.request_human")
            return ["ok": true, "note": "a person takes over after your reply; tell the contact"]
        case ToolCatalog.closeConversation:
            state.close = true
            state.decide("tool.close_conversation", String((members["reason"]?.stringValue ?? "").prefix(200)))
            return ["ok": true, "note": "the conversation closes after your reply; say goodbye"]
        default:
            return ["ok": false, "error": "unknown tool"]
        }
    }

    /// Applies an intent handler's actions (tags, handoff, lead temperature or status).
    func apply(_ handler: IntentHandler, matchedBy: String, _ request: Request, _ state: inout ReplyState) async {
        state.decide("intent_handler", "\"\(handler.name)\" matched intent \(handler.intent) by \(matchedBy)")
        for action in handler.actions {
            switch action {
            case .tag(let tag): state.tag(tag)
            case .handoff(let reason): state.handOff(reason, rule: "intent_handler.handoff")
            case .setLeadTemperature(let temperature):
                guard !request.dryRun, let organizationID = leadTarget(request) else {
                    state.decide(
                        "intent_handler.set_lead_temperature", "\(temperature) (not applied: preview or no lead)")
                    continue
                }
                do {
                    let current = try await crm.call(
                        CRM.Service.getLead, CRM.GetLeadRequest(organizationId: organizationID, leadId: request.leadID),
                        metadata: metadata(request), timeout: .seconds(5))
                    _ = try await crm.call(
                        CRM.Service.qualifyLead,
                        CRM.QualifyLeadRequest(
                            organizationId: organizationID, leadId: request.leadID, temperature: temperature,
                            score: current.lead?.score ?? 0, reason: "intent handler \(handler.name)",
                            conversationId: request.conversationID,
                            actor: "agent:\(request.agent.id.lowercasedString)"),
                        metadata: metadata(request), timeout: .seconds(5))
                    state.decide("intent_handler.set_lead_temperature", temperature)
                } catch {
                    _ = crmFailure(error, "set_lead_temperature", &state)
                }
            case .setLeadStatus(let status):
                guard !request.dryRun, let organizationID = leadTarget(request) else {
                    state.decide("intent_handler.set_lead_status", "\(status) (not applied: preview or no lead)")
                    continue
                }
                do {
                    _ = try await crm.call(
                        CRM.Service.changeLeadStatus,
                        CRM.ChangeLeadStatusRequest(
                            leadId: request.leadID, status: status, reason: "intent handler \(handler.name)",
                            organizationId: organizationID, actor: "agent:\(request.agent.id.lowercasedString)"),
                        metadata: metadata(request), timeout: .seconds(5))
                    state.decide("intent_handler.set_lead_status", status)
                } catch {
                    _ = crmFailure(error, "set_lead_status", &state)
                }
            }
        }
    }

    /// The lead of the conversation, for the prompt's variables; nil when there is none or crm
    /// does not answer (the reply goes on without it).
    func lead(_ request: Request) async -> CRM.Lead? {
        if case .fetched(let lead) = request.lead { return lead }
        return await lead(
            organizationID: request.agent.organizationID, leadID: request.leadID, requestID: request.requestID)
    }

    /// The lead `leadID` of the organization (GetLead); nil when `leadID` is not a lead's id
    /// or crm does not answer.
    func lead(organizationID: UUID, leadID: String, requestID: String) async -> CRM.Lead? {
        guard UUID(canonicalText: leadID) != nil else { return nil }
        do {
            return try await crm.call(
                CRM.Service.getLead,
                CRM.GetLeadRequest(organizationId: organizationID.lowercasedString, leadId: leadID),
                metadata: CallMetadata(requestID: requestID, caller: "agents"), timeout: .seconds(3)
            ).lead
        } catch {
            logger.info("lead not available for the prompt", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func leadTarget(_ request: Request) -> String? {
        UUID(canonicalText: request.leadID) == nil ? nil : request.agent.organizationID.lowercasedString
    }

    private func metadata(_ request: Request) -> CallMetadata {
        CallMetadata(requestID: request.requestID, caller: "agents")
    }

    private func crmFailure(_ error: any Error, _ what: String, _ state: inout ReplyState) -> JSONValue {
        let code = (error as? RPCError)?.code.description ?? "UNKNOWN"
        state.decide("crm_error", "\(what) failed: \(code)")
        logger.warning("crm call failed", metadata: ["agents.tool": "\(what)", "error": "\(error)"])
        return ["ok": false, "error": "the lead could not be updated"]
    }
}
