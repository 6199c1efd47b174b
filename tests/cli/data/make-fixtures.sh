#!/bin/sh
# Regenerates the CLI test fixtures in this directory (they are committed; run this only to change
# them, then check the tests that name their exact contents).
set -eu
cd "$(dirname "$0")"
export LC_ALL=C

# types.csv: one column per inferred type (see 40_schema.bats).
awk 'BEGIN {
    split("red green blue yellow", col, " ");
    split("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima", w, " ");
    print "id,cust,price,d_iso,dt_iso,d_us,flag,note,qty,color";
    for (i = 1; i <= 200; i++) {
        price = sprintf("%.2f", 5 + (i * 37 % 1000) / 7.0);
        dd = i % 28 + 1; mm = i % 12 + 1; yy = 2019 + i % 4;
        d_iso = sprintf("%04d-%02d-%02d", yy, mm, dd);
        dt_iso = sprintf("%04d-%02d-%02dT%02d:%02d:%02d", yy, mm, dd, i % 24, (i * 7) % 60, (i * 13) % 60);
        d_us = sprintf("%02d/%02d/%04d", mm, (i % 15) + 13, yy);
        flag = (i % 3 == 0) ? "true" : "false";
        note = sprintf("The %s %s saw %s near %s today", w[i % 12 + 1], w[(i * 5) % 12 + 1], w[(i * 7) % 12 + 1], w[(i * 11) % 12 + 1]);
        q = (i % 10 == 0) ? "" : ((i % 10 == 5) ? "NA" : i % 50);
        printf "%d,C%06d,%s,%s,%s,%s,%s,%s %d,%s,%s\n", i, 100 + i, price, d_iso, dt_iso, d_us, flag, note, i, q, col[i % 4 + 1];
    }
}' >types.csv

# nulls.csv: 20% nulls spelled NA (float x), empty (categorical c), mixed (integer k).
awk 'BEGIN {
    print "x,c,k";
    for (i = 0; i < 500; i++) {
        x = (i % 5 == 2) ? "NA" : sprintf("%.1f", (i * 7919 % 1000) / 10.0);
        c = (i % 5 == 4) ? "" : ((i % 3 == 0) ? "low" : "high");
        k = (i % 10 == 1) ? "" : ((i % 10 == 6) ? "NA" : i % 37);
        print x "," c "," k;
    }
}' >nulls.csv

# quoted.csv: categories with commas, doubled quotes, LF and CRLF; a header name with both.
awk 'BEGIN {
    v[0] = "\"Smith, John\""; v[1] = "\"say \"\"hi\"\"\""; v[2] = "\"two\nlines\""; v[3] = "plain";
    v[4] = "\"a,\"\"b\"\",\r\nc\"";
    print "label,n,\"x, \"\"y\"\"\"";
    for (i = 0; i < 100; i++) printf "%s,%d,%s\n", v[i % 5], i % 7, (i % 3 ? "yes" : "no");
}' >quoted.csv

# misc.csv: datetime with milliseconds, time of day, zero-padded integers, negative floats,
# scientific notation, Yes/No.
awk 'BEGIN {
    print "ts,t,zip,neg,sci,yn";
    for (i = 0; i < 300; i++)
        printf "2021-03-%02dT05:%02d:07.%03dZ,%02d:%02d,%05d,%.2f,%.3e,%s\n", i % 28 + 1, i % 60,
               (i * 37) % 1000, i % 24, i % 60, 1000 + i * 7, -50 + i * 0.37, (i + 1) * 1.5e-4, (i % 2 ? "Yes" : "No");
}' >misc.csv

# Malformed inputs.
: >empty.csv
printf 'a,b,c\n' >header_only.csv
printf 'a,b,c\n1,2,3\n4,5,6\n7,8,9\n10,11\n13,14,15\n16,17,18\n' >ragged.csv     # line 5 is short
printf 'a,b\n1,x\n2,y\n3,\377\376z\n4,w\n' >bad_utf8.csv                        # line 4, column b
printf 'a,b\n1,x\n2,"unterminated\n3,y\n' >unterminated.csv                      # quote opened on line 3

# --schema override files.
echo '{"columns": [{"name": "education-num", "type": "categorical"}]}' >override_ednum.json
echo '{"columns": [{"name": "no-such-column", "type": "categorical"}]}' >override_unknown_column.json
echo '{"columns": [{"name": "age", "type": "complex-number"}]}' >override_unknown_type.json
printf '{"columns": [{"name": "age", "type": "categorical"\n' >override_malformed.json
echo '{"columns": [{"name": "price", "decimals": 3}, {"name": "color", "type": "text"}, {"name": "id", "type": "integer"}]}' >override_types.json
echo '{"columns": [{"name": "d_us", "format": "%Y/%m/%d"}]}' >override_wrong_format.json
