package dev.hvwatch.agent.source.tracepoint;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The exit reasons of this host's kvm_exit tracepoint, read from its own {@code format} file rather than from a
 * table compiled into hvwatch: the kernel writes {@code VMX_EXIT_REASONS} and {@code SVM_EXIT_REASONS} into the
 * {@code print fmt} as {@code __print_symbolic(REC->exit_reason, { 0, "EXCEPTION_NMI" }, ...)}, behind
 * {@code (REC->isa == 1) ? ... : ...}, so a newer kernel's new reasons are counted without a new hvwatch.
 *
 * @param field   the record field the filters compare, {@code exit_reason}
 * @param reasons in the kernel's order
 */
record ExitReasonTable(String field, List<Reason> reasons) {

    /**
     * One reason and the kernel filter that counts it. VMX exits that failed VM entry carry a flag in the high bits,
     * so they match no reason's filter; they are in the unfiltered kvm_exit total.
     *
     * @param codes usually one; several when the table names two codes alike
     */
    record Reason(String name, List<Long> codes) {
        String filter(String field) {
            return codes.stream().map(c -> field + " == " + Long.toUnsignedString(c))
                    .collect(Collectors.joining(" || "));
        }
    }

    static final String FIELD = "exit_reason";
    private static final String SYMBOLIC = "__print_symbolic(";
    private static final Pattern ISA_TEST = Pattern.compile("\\(?\\s*REC->isa\\s*==\\s*(\\w+)\\s*\\)?");

    /**
     * @throws TracepointFormatException when the format has no exit_reason field, no table for {@code isa}, or a
     *                                   table entry that is not {@code { constant, "name" }}
     */
    static ExitReasonTable parse(TracepointFormat format, Isa isa, String origin) throws TracepointFormatException {
        TracepointFormat.Field field = format.field(FIELD).orElseThrow(() -> new TracepointFormatException(origin
                + ": no " + FIELD + " field; exit reasons are read from x86 kernels' kvm_exit only"));
        for (String argument : PrintFmt.arguments(format.printFmt(), origin)) {
            String table = symbolicTable(argument, isa, origin);
            if (table != null) {
                return new ExitReasonTable(FIELD, reasons(table, field, origin));
            }
        }
        throw new TracepointFormatException(origin + ": print fmt has no __print_symbolic(REC->" + FIELD
                + ", ...) table for " + isa + ", so the reason names are unknown");
    }

    /** The arguments of the {@code __print_symbolic} call this expression evaluates to on {@code isa}, or null. */
    private static String symbolicTable(String expression, Isa isa, String origin) throws TracepointFormatException {
        String e = expression.strip();
        int question = PrintFmt.indexOfTopLevel(e, '?', 0, origin);
        if (question >= 0) {
            int colon = PrintFmt.indexOfTopLevel(e, ':', question + 1, origin);
            Matcher test = ISA_TEST.matcher(e.substring(0, question).strip());
            if (colon < 0 || !test.matches()) {
                return null; // a conditional on something else, such as the flag suffix after the reason
            }
            boolean thisIsa = constant(test.group(1), origin) == isa.traceValue();
            return symbolicTable(thisIsa ? e.substring(question + 1, colon) : e.substring(colon + 1), isa, origin);
        }
        if (!e.startsWith(SYMBOLIC) || !e.endsWith(")")) {
            return null;
        }
        String arguments = e.substring(SYMBOLIC.length(), e.length() - 1);
        String value = PrintFmt.splitTopLevel(arguments, ',', origin).get(0);
        return value.matches("REC->" + FIELD + "\\b.*") ? arguments : null;
    }

    private static List<Reason> reasons(String table, TracepointFormat.Field field, String origin)
            throws TracepointFormatException {
        List<String> entries = PrintFmt.splitTopLevel(table, ',', origin);
        long mask = field.size() >= Long.BYTES ? -1L : (1L << (8 * field.size())) - 1;
        Map<String, List<Long>> byName = new LinkedHashMap<>();
        Set<Long> seen = new HashSet<>();
        for (String entry : entries.subList(1, entries.size())) {
            if (!entry.startsWith("{") || !entry.endsWith("}")) {
                throw new TracepointFormatException(origin + ": expected '{ code, \"NAME\" }' in the exit reason "
                        + "table, got '" + entry + "'");
            }
            List<String> parts = PrintFmt.splitTopLevel(entry.substring(1, entry.length() - 1), ',', origin);
            String name = parts.size() == 2 ? PrintFmt.stringLiterals(parts.get(1), origin) : null;
            if (name == null || name.isBlank()) {
                throw new TracepointFormatException(origin + ": expected '{ code, \"NAME\" }' in the exit reason "
                        + "table, got '" + entry + "'");
            }
            // The unsigned field holds -1 as all ones; the filter must name the value the field holds.
            long code = constant(parts.get(0), origin) & mask;
            // __print_symbolic prints the first name listed for a code; later ones are never printed.
            if (seen.add(code)) {
                byName.computeIfAbsent(name, n -> new ArrayList<>()).add(code);
            }
        }
        if (byName.isEmpty()) {
            throw new TracepointFormatException(origin + ": the exit reason table is empty");
        }
        List<Reason> reasons = new ArrayList<>();
        byName.forEach((name, codes) -> reasons.add(new Reason(name, List.copyOf(codes))));
        return List.copyOf(reasons);
    }

    private static long constant(String text, String origin) throws TracepointFormatException {
        try {
            return ConstExpr.evaluate(text);
        } catch (IllegalArgumentException e) {
            throw new TracepointFormatException(origin + ": exit reason code is not a constant: " + e.getMessage());
        }
    }
}
