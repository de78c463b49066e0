import Foundation

/// The three script types of the seed (`scripts.type`) and the check of their content.
enum ScriptKind: String, Sendable, CaseIterable {
    case promptModifier = "prompt_modifier"
    case responseFilter = "response_filter"
    case intentHandler = "intent_handler"

    /// Checks `content` for this type; the error says where it is wrong.
    func validate(_ content: String) throws(RuleError) {
        guard content.utf8.count <= 32 * 1024 else {
            throw RuleError(path: "", message: "content is larger than 32 KiB")
        }
        switch self {
        case .promptModifier: _ = try PromptModifier(text: content)
        case .responseFilter: _ = try ResponseFilter(text: content)
        case .intentHandler: _ = try IntentHandler(text: content)
        }
    }
}

/// An agent's enabled scripts, parsed for a reply, highest priority first.
struct ScriptSet: Sendable {
    var modifiers: [(name: String, modifier: PromptModifier)] = []
    var filters: [(name: String, filter: ResponseFilter)] = []
    var intentHandlers: [IntentHandler] = []

    /// Parses `scripts` (already by priority); one that no longer parses is skipped and named
    /// in `skipped` (they were checked when saved).
    init(_ scripts: [ScriptRecord]) {
        for script in scripts where script.enabled {
            switch ScriptKind(rawValue: script.type) {
            case .promptModifier:
                if let modifier = try? PromptModifier(text: script.content) {
                    modifiers.append((script.name, modifier))
                } else {
                    skipped.append(script.name)
                }
            case .responseFilter:
                if let filter = try? ResponseFilter(text: script.content) {
                    filters.append((script.name, filter))
                } else {
                    skipped.append(script.name)
                }
            case .intentHandler:
                if var handler = try? IntentHandler(text: script.content) {
                    handler.name = script.name
                    intentHandlers.append(handler)
                } else {
                    skipped.append(script.name)
                }
            case nil: skipped.append(script.name)
            }
        }
    }

    var skipped: [String] = []

    /// Every filter applied to `reply` in order, with the effects for the message's metadata.
    func filter(_ reply: String) -> (text: String, effects: [JSONValue]) {
        var text = reply, effects: [JSONValue] = []
        for (name, filter) in filters {
            let (filtered, changes) = filter.apply(to: text)
            text = filtered
            for change in changes { effects.append(["script": .string(name), "effect": .string(change)]) }
        }
        return (text, effects)
    }
}
