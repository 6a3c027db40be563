package dev.kensa.journal;

import dev.kensa.verdict.Verdict;

/**
 * One journalled inspection: the result JSON exactly as it will be published, and its heatmap JPEG (may be
 * empty for an ERROR result).
 *
 * @param seq      position in the journal, 1, 2, 3, … in append order; 0 before it is appended
 * @param id       the result id (../shared/DESIGN.md §6 {@code id}), used as MQTT correlation data and user property
 * @param verdict  the result's verdict, kept outside the JSON so listings need not parse it
 * @param json     UTF-8 result JSON
 * @param heatmap  JPEG bytes, length 0 when there is none
 */
public record JournalEntry(long seq, String id, Verdict verdict, byte[] json, byte[] heatmap) {
    public JournalEntry withSeq(long s) {
        return new JournalEntry(s, id, verdict, json, heatmap);
    }
}
