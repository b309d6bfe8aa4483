package dev.hvwatch.agent.rules.expr;

import java.util.List;
import java.util.Map;

/** The parsed, not yet compiled, form of a rule expression. {@code column} points into the source text. */
public sealed interface Ast {
    int column();

    record Num(int column, double value) implements Ast {
    }

    record Str(int column, String value) implements Ast {
    }

    record Bool(int column, boolean value) implements Ast {
    }

    /** A variable or a metric, with an optional label filter: {@code hvwatch_vm_exits_total{reason="HLT"}}. */
    record Ref(int column, String name, Map<String, String> labels) implements Ast {
    }

    record Call(int column, String function, List<Ast> args) implements Ast {
    }

    record Unary(int column, String op, Ast operand) implements Ast {
    }

    record Binary(int column, String op, Ast left, Ast right) implements Ast {
    }
}
