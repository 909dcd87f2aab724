#!/usr/bin/env python3
"""importgen: a CSV file for the import benchmark (scenario 12 of
bench/run.sh; docs/import.md for the format).

usage: importgen.py EMPLOYEES DEPARTMENTS OUT.csv

DEPARTMENTS departments as paths, made as bench/dirgen.c makes its tree
(10 top ones, then fan-out 10 below them until the count is reached), each
named by at least one line; EMPLOYEES employees spread over them evenly,
every column filled: a username, a display name, an e-mail address, a valid
Chinese mobile number (typed as people type them, with spaces), a mainland
resident ID number with its check character, a title, an employee number,
the department's path, a further department for one in ten, and a manager
for every employee after the first ten thousand (the one ten thousand lines
earlier: chains of ten). Deterministic: the same arguments, the same file.
"""
import sys

W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
C = "10X98765432"


def resident_id(i):
    body = "110105%04d%02d%02d%03d" % (1950 + i % 50, 1 + i % 12, 1 + i % 28,
                                       i % 1000)
    return body + C[sum(int(d) * w for d, w in zip(body, W)) % 11]


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: importgen.py EMPLOYEES DEPARTMENTS OUT.csv")
    n_emp, n_dept, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if n_dept < 10 or n_emp < 1:
        sys.exit("importgen: at least 10 departments and 1 employee")
    paths = []
    for i in range(n_dept):
        name = "Dept %06d" % i
        paths.append(name if i < 10 else paths[(i - 10) // 10] + "/" + name)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("username,display_name,email,phone,id_number,title,"
                "employee_no,department,departments,manager\r\n")
        for i in range(n_emp):
            d = i % n_dept
            further = paths[(d + 1) % n_dept] if i % 10 == 0 else ""
            manager = "e%07d" % (i - 10000) if i >= 10000 else ""
            f.write('e%07d,"Employee %07d",e%07d@example.com,'
                    '138 %04d %04d,%s,Engineer,N%07d,%s,%s,%s\r\n' % (
                        i, i, i, (i // 10000) % 10000, i % 10000,
                        resident_id(i), i, paths[d], further, manager))
        # The departments no employee is in, on lines of their own.
        for d in range(n_emp, n_dept):
            f.write(",,,,,,,%s,,\r\n" % paths[d])


if __name__ == "__main__":
    main()
