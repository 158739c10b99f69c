/// Generates large, valid templates for benchmarks and limit tests.
public enum TemplateGenerator {
    /// A chain of `states` states in compact flow style (about 100 bytes a
    /// state, so 5,000 states stay well inside the 1 MiB limit): every state
    /// moves to the next; every tenth also branches ahead by two and can be
    /// abandoned to a final `discontinued` state; stages change every
    /// 100 states; a clock starts at the first state, pauses and resumes along
    /// the way and stops at the last chain state, which leads to `approved`.
    public static func chain(states: Int) -> String {
        let count = max(states, 3) - 2  // two final states are added at the end
        let stageCount = (count + 99) / 100
        var out = "template: generated-chain\n"
        out += "title: Generated chain of \(count + 2) states\n"
        out += "roles: {lead: Project lead, qa: Quality assurance}\n"
        out += "documents: {report: Report}\n"
        out += "stages: {"
        out += (0..<stageCount).map { "g\($0): Stage \($0)" }.joined(separator: ", ")
        out += ", end: End}\n"
        out += "clocks: {review: {title: Review clock, days: 210}}\n"
        out += "initial: s0\n"
        out += "states:\n"
        for i in 0..<count {
            let next = i + 1 < count ? "s\(i + 1)" : "approved"
            var transitions = "next: {to: \(next), roles: [lead]}"
            if i % 10 == 0 && i + 2 < count {
                transitions += ", skip: {to: s\(i + 2), roles: [qa], requires: {documents: [report]}}"
                transitions += ", abandon: {to: discontinued, roles: [lead], reason: required}"
            }
            var clock = ""
            if i == 0 { clock = ", clock: {start: review}" }
            else if i == count - 1 { clock = ", clock: {stop: review}" }
            else if i % 50 == 25 { clock = ", clock: {pause: review}" }
            else if i % 50 == 26 { clock = ", clock: {resume: review}" }
            out += "  s\(i): {stage: g\(i / 100), title: Step \(i)\(clock), transitions: {\(transitions)}}\n"
        }
        out += "  approved: {stage: end, title: Approved, final: true, outcome: approved}\n"
        out += "  discontinued: {stage: end, title: Discontinued, final: true, outcome: discontinued}\n"
        return out
    }
}
