import Contracts
import Foundation
import Postgres

/// A handoff decided by the agent: the conversation waits for a human (status waiting, mode
/// human) and is assigned round-robin among the organization's assignable users (identity
/// `ListAssignableUsers`, active users who may handle conversations); with nobody
/// available it stays unassigned with priority high. With the organization's return-to-AI
/// setting, its clock starts: nobody acting for that long puts the conversation back to AI.
enum HandoffAssignment {
    static func handOff(
        _ state: inout LockedConversation, reason: String, assignable: [Identity.AssignableUser],
        resumeAfterMinutes: Int? = nil, on connection: PostgresConnection
    ) async throws {
        let previousAssignee = state.assignedToUserID
        state.status = "waiting"
        state.mode = "human"
        let candidates = assignable.compactMap { UUID(canonicalText: $0.id) }
        // One already assigned (an earlier handoff) keeps the conversation when still assignable.
        var assignee = previousAssignee.flatMap { candidates.contains($0) ? $0 : nil }
        if assignee == nil {
            assignee = try await ReplyJobStore.nextAssignee(
                organizationID: state.organizationID, candidates: candidates, on: connection)
        }
        state.assignedToUserID = assignee
        if assignee == nil, state.priority != "urgent" { state.priority = "high" }
        try await LifecycleStore.save(
            state, assignedNow: assignee != nil && assignee != previousAssignee, on: connection)
        if let resumeAfterMinutes {
            try await LifecycleStore.touchOperatorActivity(
                state.id, resumeAfterMinutes: resumeAfterMinutes, on: connection)
        }
        try await LifecycleStore.skipPendingReplies(state.id, result: "handoff", on: connection)
        try InboxTimeline.record(
            "handoff", outbox: "conversation.handoff", organizationID: state.organizationID, conversationID: state.id,
            actor: .ai,
            payload: [
                "reason": .string(String(reason.prefix(500))),
                "assigned_to_user_id": assignee.map { .string($0.lowercasedString) } ?? .null,
                "priority": .string(state.priority),
            ], on: connection)
        if let assignee, assignee != previousAssignee {
            try InboxTimeline.record(
                "assigned", outbox: "conversation.assigned", organizationID: state.organizationID,
                conversationID: state.id, actor: .system,
                payload: [
                    "from_user_id": previousAssignee.map { .string($0.lowercasedString) } ?? .null,
                    "to_user_id": .string(assignee.lowercasedString), "reason": .string("round_robin"),
                ], on: connection)
        }
    }
}
