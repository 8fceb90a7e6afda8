#!/usr/bin/perl
# Writes tests/data/pii-phone.tsv: phone numbers of GB, DE, FR, ES, IT,
# NL, IN, BR, JP and AU in their national formats next to a phone word of
# the language, and with "+" and the country code; then look-alikes: the
# same national formats without a phone word (order, invoice, tracking
# numbers), dates, times, amounts and IBAN pieces next to a phone word,
# and "+CC" numbers too short or too long for their country.  The same
# bytes on every run (own xorshift32, fixed seed).  Format as
# pii-labelled.tsv.
#
# usage: perl tests/data/gen-pii-phone.pl > tests/data/pii-phone.tsv
use strict;
use warnings;

my $x = 4420;
sub rnd { $x ^= ($x << 13) & 0xffffffff; $x ^= $x >> 17;
          $x ^= ($x << 5) & 0xffffffff; return $x % $_[0]; }
sub pick { my @a = @_; return $a[rnd(scalar @a)]; }
# a format: "d" a random digit, "n" a random digit 1-9, others as they are
sub fill { my ($f) = @_; $f =~ s/d/rnd(10)/ge; $f =~ s/n/1 + rnd(9)/ge; $f }

# national formats and the words people write before them, per country
my %nat = (
    GB => [[ '020 dddd dddd', '07700 9ddddd', '0161 496 dddd', '07ndd dddddd',
             '01632 960ddd', '07ndddddddd' ],
           [ 'Call me on %s.', 'Phone: %s', 'my mobile is %s', 'Tel: %s' ]],
    DE => [[ '030 dddddddd', '0151 dddddddd', '089 ddddddd', '(030) ddddddd',
             '0171-ddddddd', '040 ddd ddd dd' ],
           [ 'Telefon: %s', 'Handy %s', 'Bitte anrufen unter %s',
             'Tel. %s' ]],
    FR => [[ '01 dd dd dd dd', '06 dd dd dd dd', '07.dd.dd.dd.dd',
             '04 dd dd dd dd' ],
           [ "T\xc3\xa9l. %s", 'mon portable : %s',
             "t\xc3\xa9l\xc3\xa9phone %s", 'appelez le %s' ]],
    ES => [[ '6dd ddd ddd', '91d ddd ddd', '9dd dd dd dd', '7dd ddd ddd',
             '6dddddddd', '9ndddddddd' ],
           [ "Tel\xc3\xa9fono: %s", 'llame al %s', "m\xc3\xb3vil %s",
             'tfno. %s' ]],
    IT => [[ '06 dddd dddd', '3dd ddd dddd', '3dd ddddddd', '02 dddddddd' ],
           [ 'Telefono: %s', 'Cellulare %s', 'chiamami al %s', 'tel %s' ]],
    NL => [[ '020 ddd dddd', '06 dddddddd', '06-dddddddd', '010 ddd dd dd' ],
           [ 'Telefoon: %s', 'bel me op %s', 'mobiel %s', 'Tel %s' ]],
    IN => [[ '9dddd ddddd', '8dddd ddddd', '011 dddd dddd', '07ddd ddddd',
             '9ddddddddd', '7ddddddddd' ],
           [ 'Mobile: %s', 'call %s', 'phone no. %s', 'WhatsApp %s' ]],
    BR => [[ '(11) 9dddd-dddd', '(21) dddd-dddd', '(61) 9dddd dddd',
             '11 9dddd-dddd', '219dddddddd', '61 9dddd dddd' ],
           [ 'Celular: %s', 'Telefone %s', 'ligue para %s', 'fone %s' ]],
    JP => [[ '03-dddd-dddd', '090-dddd-dddd', '06-dddd-dddd',
             '080 dddd dddd' ],
           [ "\xe9\x9b\xbb\xe8\xa9\xb1: %s", "\xe6\x90\xba\xe5\xb8\xaf %s",
             'TEL %s', 'phone %s' ]],
    AU => [[ '02 dddd dddd', '04dd ddd ddd', '03 dddd dddd', '(08) dddd dddd' ],
           [ 'Mobile: %s', 'ph %s', 'call %s', 'Phone %s' ]],
);

# the same countries after "+": a well-formed number, one a digit short
my @intl = (
    [ '+44 20 dddd dddd', '+44 20 dddd dd' ],
    [ '+44 7700 9ddddd', '+44 7700 9ddd' ],
    [ '+49 30 dddddddd', '+49 30 ddd' ],
    [ '+49 151 dddddddd', '+49 151 ddddddddddddd' ],
    [ '+33 1 dd dd dd dd', '+33 1 dd dd dd d' ],
    [ '+33 6 dd dd dd dd', '+33 6 dd dd dd' ],
    [ '+34 6dd ddd ddd', '+34 6dd ddd dd' ],
    [ '+39 3dd ddd dddd', '+39 3d ddd' ],
    [ '+31 6 dddddddd', '+31 6 ddddddd' ],
    [ '+91 9dddd ddddd', '+91 9dddd dddd' ],
    [ '+55 11 9dddd-dddd', '+55 11 dddd-ddd' ],
    [ '+81 90-dddd-dddd', '+81 90-dddd-dd' ],
    [ '+61 4dd ddd ddd', '+61 4dd ddd dd' ],
    [ '+61 2 dddd dddd', '+61 2 dddd ddd' ],
);

my @plain = ( 'reach me at %s', '(%s)', 'Kontakt: %s', '%s' );

# "00" for "+": a phone word needed, as for the national formats
my @intl00 = ( '0044 20 dddd dddd', '0049 30 dddddddd', '00 33 6 dd dd dd dd',
               '0034 6dd ddd ddd', '0091 9dddd ddddd', '0055 11 9dddd-dddd',
               '0061 4dd ddd ddd', '0039 3dd ddd dddd' );
my @words00 = ( 'Phone: %s', 'Tel. %s', 'Telefon %s', 'call %s',
                "t\xc3\xa9l\xc3\xa9phone %s", 'cellulare %s' );

print "# type\ttext (raw JSON string content)\texpected "
    . "(1: the type is found, 0: nothing is found)\n";

for my $c (sort keys %nat) {
    my ($formats, $words) = @{ $nat{$c} };

    for my $f (@$formats) {
        for my $k (0 .. 1) {
            printf "phone\t$words->[rnd(scalar @$words)]\t1\n", fill($f);
        }
    }
}

for my $p (@intl) {
    printf "phone\t$plain[rnd(scalar @plain)]\t1\n", fill($p->[0]);
}

for my $f (@intl00) {
    for my $k (0 .. 1) {
        printf "phone\t$words00[rnd(scalar @words00)]\t1\n", fill($f);
    }
}

# look-alikes: no phone word, or not a phone next to one

my @noword = ( 'Order %s shipped', 'invoice no. %s', 'tracking %s',
               'ref %s', 'account %s', 'batch %s done', 'SKU %s' );

for my $c (sort keys %nat) {
    for my $f (@{ $nat{$c}[0] }) {
        next if $f =~ /^\S{3} \S{3} \S{4}$/;     # NANP-shaped: a phone
        printf "phone\t$noword[rnd(scalar @noword)]\t0\n", fill($f);
    }
}

for my $p (@intl) {
    printf "phone\t$plain[rnd(scalar @plain)]\t0\n", fill($p->[1]);
}

for my $f (@intl00) {
    next if $f =~ /\s\S{3} \S{3} \S{4}$/;     # ends NANP-shaped: a phone
    printf "phone\t$noword[rnd(scalar @noword)]\t0\n", fill($f);
}

for my $l ('call on 2024-01-15', 'Telefon am 15.01.2024 um 10.30',
           'phone bill 1 234 567', "t\xc3\xa9l\xc3\xa9phone 12 345,67 EUR",
           'call 3704 0044 0532', 'tel 0044 0532 0130',
           'Tel. 01.02.2024', 'call at 10:30 on 2024 01 15',
           'mobile v2.14.3', 'phone 0.5 0.25 0.125', 'call 00 00 00 00',
           'Handy 0151', 'phone 020 79', 'mobile 1234 5678 9012 3456 7890',
           'call ext. 123 456', 'Telefoon 2023-12-31 12:00',
           'call 0 800 123', 'phone 07 12 34', 'tel 1999-2024',
           '+44 20 7946 09581', '+49 30 1234567890123', '+33 1 23 45 67 89 0',
           '+91 98765 432101', '+81 3 1234', '+00 20 7946 0958',
           'Order 020 7946 0958 and 030 12345678 shipped',
           'build 06.12.34.56', 'ISBN 978-3-16-148410-0 phone book',
           'call 1700000000', 'phone 1712345678901', 'tel 5123456789',
           'phone bill 20240115093000', 'call at 20240115', 'tel 123456789',
           'fone 11 81234-5678', 'celular 10 91234-5678', 'tel 0712345678901',
           'phone 0044 1234', 'call 0044 20 7946', 'tel 00 00 1234 5678',
           'Telefon 0049 0 30 1234', 'phone 1.234.567.890',
           'total 612345678.50 EUR, call us', 'order 912345678 shipped',
           'invoice 9876543210', 'SKU 11912345678', 'ref 0044 20 7946 0958',
           'amount 6123456789 INR') {
    print "phone\t$l\t0\n";
}
