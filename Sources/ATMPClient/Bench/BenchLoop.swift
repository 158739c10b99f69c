/// The template `atmpctl bench` drives: two states in one stage that a case
/// leaves and re-enters for ever (`here` —forth→ `there` —back→ `here`), no
/// requirements, so every advance is the cheapest change the engine can
/// commit. The final state `done` exists only because a template must have a
/// reachable final state; the bench never takes `finish`.
public enum BenchLoop {
    public static let templateName = "bench-loop"
    /// The template role that may open and advance bench cases. `admin` alone
    /// may not (the daemon lets only holders of a template role change cases).
    public static let role = "lead"
    public static let initialState = "here"

    public static let yaml = """
        template: bench-loop
        title: Load generator loop (atmpctl bench)
        description: |
          Two states a case moves between for ever; published by atmpctl bench.
        roles:
          lead: Opens and advances bench cases
        stages:
          loop: The loop
        initial: here
        states:
          here:
            stage: loop
            title: Here
            transitions:
              forth: { to: there, title: Forth, roles: [lead] }
              finish: { to: done, title: Finish, roles: [lead] }
          there:
            stage: loop
            title: There
            transitions:
              back: { to: here, title: Back, roles: [lead] }
          done:
            stage: loop
            title: Done
            final: true

        """

    /// The transition that keeps a case looping from `state`; nil for a state
    /// the loop does not know (a case someone else moved to `done`, say).
    public static func transition(from state: String) -> String? {
        switch state {
        case "here": return "forth"
        case "there": return "back"
        default: return nil
        }
    }

    /// Where `transition` leads, for tracking a case when a reply names no state.
    public static func target(of transition: String) -> String? {
        switch transition {
        case "forth": return "there"
        case "back": return "here"
        default: return nil
        }
    }
}
