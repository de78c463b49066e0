import Foundation
import Mustache

/// A `prompt_modifier` script (docs/scripts.md): a Mustache template whose text is added to the
/// system prompt. It sees only data (strings and sections), never code: no partials are
/// registered and the context holds no lambdas.
struct PromptModifier: Sendable {
    static let maximumLength = 8000
    /// Renders variables as written (the default content type escapes HTML).
    private static let textPragma = "{{% CONTENT_TYPE: TEXT}}\n"

    let template: MustacheTemplate

    init(text: String) throws(RuleError) {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw RuleError(path: "", message: "the template is empty")
        }
        guard text.count <= Self.maximumLength else {
            throw RuleError(path: "", message: "the template has more than \(Self.maximumLength) characters")
        }
        do {
            template = try MustacheTemplate(string: Self.textPragma + text)
        } catch let error as MustacheTemplate.ParserError {
            // The pragma line comes first: line numbers of the tenant's text are one less.
            throw RuleError(
                path: "line \(max(1, error.context.lineNumber - 1)), column \(error.context.columnNumber + 1)",
                message: "\(Self.describe(error.error)) near \"\(error.context.line.prefix(60))\"")
        } catch {
            throw RuleError(path: "", message: "is not a valid template")
        }
    }

    /// The template rendered with `variables` (nested dictionaries of strings).
    func render(_ variables: [String: Any]) -> String {
        template.render(variables).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect: "a section is closed with another name than it was opened with"
        case .unfinishedName: "a tag is not closed with }}"
        case .expectedSectionEnd: "a section is never closed ({{/name}} missing)"
        case .invalidSetDelimiter: "the set delimiter tag is malformed"
        default: "the template cannot be parsed"
        }
    }
}
