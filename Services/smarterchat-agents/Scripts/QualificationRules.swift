import Foundation

/// An agent's `lead_qualification_rules` (docs/agents.md): how a score becomes a temperature.
///
/// ```json
/// {"ranges": [{"min": 70, "temperature": "hot"}, {"min": 40, "temperature": "warm"},
///             {"min": 0, "temperature": "cold"}],
///  "signals": [{"keywords": ["orçamento aprovado"], "points": 20},
///              {"intents": ["purchase"], "points": 15}]}
/// ```
///
/// When the model qualifies a lead, the points of every matching signal are added to its
/// score (kept within 0–100), then the first range whose `min`..`max` holds the score gives
/// the temperature. Without ranges the model's temperature stands.
struct QualificationRules: Sendable, Equatable {
    static let temperatures = ["hot", "warm", "cold"]

    struct Range: Sendable, Equatable {
        var min: Int
        var max: Int
        var temperature: String
    }

    struct Signal: Sendable, Equatable {
        var keywords: [String]
        var intents: [String]
        var points: Int
    }

    var ranges: [Range] = []
    var signals: [Signal] = []

    init() {}

    init(text: String) throws(RuleError) {
        let reader = try RuleReader(text: text.isEmpty ? "{}" : text)
        try reader.only(["ranges", "signals"])
        for range in try reader.objects("ranges") ?? [] {
            try range.only(["min", "max", "temperature"])
            let min = try range.integer("min", in: 0...100) ?? 0
            let max = try range.integer("max", in: 0...100) ?? 100
            guard min <= max else { throw RuleError(path: range.at("max"), message: "must not be below min") }
            let temperature = try range.string("temperature", required: true) ?? ""
            guard Self.temperatures.contains(temperature) else {
                throw RuleError(path: range.at("temperature"), message: "must be hot, warm or cold")
            }
            ranges.append(Range(min: min, max: max, temperature: temperature))
        }
        for signal in try reader.objects("signals") ?? [] {
            try signal.only(["keywords", "intents", "points"])
            let keywords = try signal.strings("keywords") ?? []
            let intents = try signal.strings("intents") ?? []
            guard !keywords.isEmpty || !intents.isEmpty else {
                throw RuleError(path: signal.path, message: "needs keywords or intents")
            }
            guard let points = try signal.integer("points", in: -100...100) else {
                throw RuleError(path: signal.at("points"), message: "is required")
            }
            signals.append(Signal(keywords: keywords, intents: intents, points: points))
        }
    }

    /// The score after signals found in `contactText` or `intent`, and the temperature.
    func apply(
        score: Int, temperature: String, contactText: String, intent: String
    ) -> (score: Int, temperature: String, signals: Int) {
        var score = score, matched = 0
        for signal in signals {
            let byKeyword = signal.keywords.contains { Folded.contains(contactText, phrase: $0) }
            let byIntent = !intent.isEmpty && signal.intents.contains(intent)
            if byKeyword || byIntent {
                score += signal.points
                matched += 1
            }
        }
        score = Swift.min(100, Swift.max(0, score))
        let temperature = ranges.first { $0.min <= score && score <= $0.max }?.temperature ?? temperature
        return (score, temperature, matched)
    }
}
