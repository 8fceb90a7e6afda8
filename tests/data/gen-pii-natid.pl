#!/usr/bin/perl
# Writes tests/data/pii-natid.tsv: national and health identifiers with
# correct check digits in sentences (with the context words where the type
# needs them), and their look-alikes: a wrong check digit, a valid weak
# number without its context word, timestamps, order numbers, versions.
# The same bytes on every run (own xorshift32, fixed seed).  Format as
# pii-labelled.tsv: type, raw JSON string content, 1 when the type must be
# found, 0 when nothing may be found.
#
# usage: perl tests/data/gen-pii-natid.pl > tests/data/pii-natid.tsv
use strict;
use warnings;
use utf8;

my $x = 1814;
sub rnd { $x ^= ($x << 13) & 0xffffffff; $x ^= $x >> 17;
          $x ^= ($x << 5) & 0xffffffff; return $x % $_[0]; }
sub pick { my @a = @_; return $a[rnd(scalar @a)]; }
sub digs { join '', map { rnd(10) } 1 .. $_[0] }
sub bump { my ($d) = @_; ($d + 1 + rnd(9)) % 10 }          # another digit
sub luhn_ok { my ($s) = @_; my ($sum, $i) = (0, 0);
              for my $d (reverse split //, $s) { my $v = $d * (($i++ % 2) ? 2 : 1);
                  $sum += $v > 9 ? $v - 9 : $v } $sum % 10 == 0 }
sub luhn_end { my ($p) = @_; for my $c (0 .. 9) { return "$p$c" if luhn_ok("$p$c") } }
sub grp { my ($s, $sep, @l) = @_; my @o; for (@l) { push @o, substr($s, 0, $_, '') } join $sep, @o }

sub nhs { my ($bad) = @_; for (;;) { my $b = '9' . digs(8); my $s = 0;
          $s += substr($b, $_, 1) * (10 - $_) for 0 .. 8; my $c = 11 - $s % 11; $c = 0 if $c == 11;
          next if $c == 10; $c = bump($c) if $bad; return "$b$c" } }
sub nino { my ($bad) = @_; my $p; do { $p = pick(split //, 'ABCEGHJKLMNPRSTWXYZ') . pick(split //, 'ABCEGHJKLMNPRSTWXYZ') }
           while $p =~ /^(BG|GB|KN|NK|NT|TN|ZZ)$/; $p . digs(6) . ($bad ? pick('E', 'F', 'Q') : pick(split //, 'ABCD')) }
sub itin { my ($bad) = @_; '9' . digs(2) . ($bad ? pick('00', '10', '45', '69', '93') : pick(50 .. 65, 70 .. 88, 90 .. 92, 94 .. 99)) . digs(4) }
sub mbi { my ($bad) = @_; my $A = 'ACDEFGHJKMNPQRTUVWXY'; my $N = '0123456789';
          my @l = split //, 'CAxNAxNAANN'; my $s = '';
          for (@l) { $s .= $_ eq 'C' ? 1 + rnd(9) : $_ eq 'N' ? rnd(10) : $_ eq 'A' ? substr($A, rnd(20), 1)
                          : pick(substr($A, rnd(20), 1), rnd(10)) }
          substr($s, 1, 1) = pick('S', 'L', 'O', 'I', 'B', 'Z') if $bad; $s }
sub npi { my ($bad) = @_; my $b = pick(1, 2) . digs(8); my $f = luhn_end("80840$b"); my $c = substr($f, -1);
          $c = bump($c) if $bad; "$b$c" }
sub sin_ { my ($bad) = @_; my $b = pick(1 .. 7, 9) . digs(7); my $c = substr(luhn_end($b), -1);
           $c = bump($c) if $bad; "$b$c" }
sub detax { my ($bad) = @_; for (;;) { my @d = (1 + rnd(9)); push @d, rnd(10) while @d < 10;
            my %c; $c{$_}++ for @d; my @rep = grep { $c{$_} >= 2 } keys %c;
            next unless @rep == 1 && $c{$rep[0]} <= 3;
            my $p = 10; for (@d) { my $s = ($_ + $p) % 10; $s = 10 if $s == 0; $p = (2 * $s) % 11 }
            my $k = (11 - $p) % 10; $k = bump($k) if $bad; return join('', @d) . $k } }
sub nir { my ($bad) = @_; my $dep = pick(sprintf('%02d', 1 + rnd(95)), '2A', '2B');
          my $b = pick(1, 2) . sprintf('%02d%02d', rnd(100), 1 + rnd(12)) . $dep . sprintf('%03d%03d', 1 + rnd(990), 1 + rnd(999));
          (my $n = $b) =~ s/2A/19/; $n =~ s/2B/18/; my $r = 0; $r = ($r * 10 + $_) % 97 for split //, $n;
          my $k = 97 - $r; $k = $k % 97 + 1 if $bad; $b . sprintf('%02d', $k) }
sub dni { my ($bad) = @_; my $L = 'TRWAGMYFPDXBNJZSQVHLCKE'; my $nie = rnd(3) == 0;
          my $pre = $nie ? pick('X', 'Y', 'Z') : ''; my $num = $nie ? digs(7) : sprintf('%08d', 1000000 + rnd(98999999));
          my $v = $nie ? (index('XYZ', $pre) . $num) : $num; my $i = $v % 23; $i = ($i + 1 + rnd(22)) % 23 if $bad;
          $pre . $num . substr($L, $i, 1) }
# codice fiscale: the check letter of its 15 first characters as written
sub cf_check { my ($s) = @_; my @odd = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23);
               my $sum = 0; for my $i (0 .. 14) { my $ch = substr($s, $i, 1);
                   my $v = $ch =~ /\d/ ? $ch : ord($ch) - 65; $sum += ($i % 2 == 0) ? $odd[$v] : $v }
               $sum % 26 }
# days 01-31, women 41-71
sub cf_body { my ($day) = @_; my $U = join '', 'A' .. 'Z'; my $d = 1 + rnd(62); $d += 9 if $d > 31;
              join('', map { substr($U, rnd(26), 1) } 1 .. 6) . sprintf('%02d', rnd(100)) . pick(split //, 'ABCDEHLMPRST')
              . sprintf('%02d', $day // $d) . pick(split //, 'ADFGHLMZ') . sprintf('%03d', 1 + rnd(999)) }
sub cf { my ($bad) = @_; my $s = cf_body();
         if (rnd(5) == 0) { substr($s, 14, 1) = substr('LMNPQRSTUV', substr($s, 14, 1), 1) }   # omocodia
         my $c = cf_check($s); $c = ($c + 1 + rnd(25)) % 26 if $bad; $s . chr(65 + $c) }
# omocodia: the digits at the positions of @pos written as the letters L-V
my @cf_digits = (6, 7, 9, 10, 12, 13, 14);
sub omocodia { my ($s, @pos) = @_; substr($s, $_, 1) = substr('LMNPQRSTUV', substr($s, $_, 1), 1) for @pos; $s }
sub bsn { my ($bad) = @_; for (;;) { my $b = (1 + rnd(9)) . digs(7); my $s = 0;
          $s += substr($b, $_, 1) * (9 - $_) for 0 .. 7; my $c = $s % 11; next if $c > 9;
          $c = bump($c) if $bad; return "$b$c" } }
my @vd = ([0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],[4,0,1,2,3,9,5,6,7,8],
          [5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],[8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]);
my @vp = ([0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],
          [9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]);
sub verhoeff_ok { my $c = 0; my $i = 0; $c = $vd[$c][$vp[$i++ % 8][$_]] for reverse split //, $_[0]; $c == 0 }
sub aadhaar { my ($bad) = @_; my $b = (2 + rnd(8)) . digs(10);
              for my $c (0 .. 9) { if (verhoeff_ok("$b$c")) { $c = bump($c) if $bad; return "$b$c" } } }
sub cpf { my ($bad) = @_; my @d = map { rnd(10) } 1 .. 9;
          for my $j (9, 10) { my $s = 0; $s += $d[$_] * ($j + 1 - $_) for 0 .. $j - 1; push @d, ($s * 10) % 11 % 10 }
          $d[10] = bump($d[10]) if $bad; join '', @d }
sub tfn { my ($bad) = @_; my @w = (1, 4, 3, 7, 5, 8, 6, 9, 10);
          for (;;) { my $b = (1 + rnd(9)) . digs(7); my $s = 0; $s += substr($b, $_, 1) * $w[$_] for 0 .. 7;
              for my $c (0 .. 9) { if (($s + $c * 10) % 11 == 0) { $c = bump($c) if $bad; return "$b$c" } } } }
sub nric { my ($bad) = @_; my $p = pick('S', 'T', 'F', 'G', 'M'); my $d = digs(7); my @w = (2, 7, 6, 5, 4, 3, 2);
           my $s = { S => 0, T => 4, F => 0, G => 4, M => 3 }->{$p}; $s += substr($d, $_, 1) * $w[$_] for 0 .. 6;
           my $t = $p =~ /[ST]/ ? 'JZIHGFEDCBA' : $p =~ /[FG]/ ? 'XWUTRQPNMLK' : 'XWUTRQPNJLK';
           my $i = $s % 11; $i = ($i + 1 + rnd(10)) % 11 if $bad; "$p$d" . substr($t, $i, 1) }

# type => [generator, formats, sentences with context, sentences without]
my %T = (
  uk_nhs => [\&nhs, sub { pick(grp($_[0], ' ', 3, 3, 4), $_[0], grp($_[0], '-', 3, 3, 4)) },
             ['My NHS number is %s, can you check my record?', 'NHS no: %s', 'patient (NHS %s) was referred',
              'Her national health service number %s is on the letter']],
  uk_nino => [\&nino, sub { pick($_[0], grp($_[0], ' ', 2, 2, 2, 2, 1)) },
              ['My NI number is %s.', 'National Insurance: %s', 'payroll for %s please', '%s']],
  us_itin => [\&itin, sub { pick(grp($_[0], '-', 3, 2, 4), $_[0]) },
              ['My ITIN is %s', 'taxpayer identification number %s', 'ITIN: %s for the W-7']],
  us_mbi => [\&mbi, sub { pick($_[0], grp($_[0], '-', 4, 3, 4)) },
             ['Medicare ID %s', 'MBI %s on the card', 'member %s', '%s']],
  us_npi => [\&npi, sub { $_[0] }, ['Provider NPI %s', 'NPI: %s', 'the national provider identifier %s']],
  ca_sin => [\&sin_, sub { pick($_[0], grp($_[0], ' ', 3, 3, 3), grp($_[0], '-', 3, 3, 3)) },
             ['My SIN is %s', 'social insurance number %s', 'NAS : %s', "numéro d'assurance sociale %s"]],
  de_tax_id => [\&detax, sub { pick($_[0], grp($_[0], ' ', 2, 3, 3, 3)) },
                ['Meine Steuer-ID ist %s', 'Steueridentifikationsnummer: %s', 'IdNr %s', 'tax ID %s']],
  fr_nir => [\&nir, sub { pick($_[0], grp($_[0], ' ', 1, 2, 2, 2, 3, 3, 2), grp($_[0], ' ', 13, 2)) },
             ['Mon numéro de sécurité sociale est %s', 'NIR %s', 'carte vitale %s', '%s']],
  es_dni => [\&dni, sub { $_[0] }, ['Mi DNI es %s', 'NIE: %s', 'titular %s', '%s']],
  it_fiscal_code => [\&cf, sub { $_[0] }, ['Il mio codice fiscale è %s', 'CF: %s', 'intestatario %s', '%s']],
  nl_bsn => [\&bsn, sub { pick($_[0], grp($_[0], '.', 4, 2, 3)) },
             ['Mijn BSN is %s', 'burgerservicenummer: %s', 'sofinummer %s', 'BSN %s']],
  in_aadhaar => [\&aadhaar, sub { pick($_[0], grp($_[0], ' ', 4, 4, 4), grp($_[0], '-', 4, 4, 4)) },
                 ['My Aadhaar number is %s', 'Aadhaar: %s', 'UIDAI id %s', "\x{906}\x{927}\x{93e}\x{930} %s"]],
  br_cpf => [\&cpf, sub { pick(grp($_[0], '.', 3, 3, 3) =~ s/$/'-' . substr($_[0], 9)/er . '', $_[0]) },
             ['Meu CPF é %s', 'CPF: %s', 'cadastro de pessoas físicas %s']],
  au_tfn => [\&tfn, sub { pick($_[0], grp($_[0], ' ', 3, 3, 3)) }, ['My TFN is %s', 'tax file number %s', 'TFN: %s']],
  sg_nric => [\&nric, sub { $_[0] }, ['My NRIC is %s', 'FIN %s', 'applicant %s', '%s']],
);
# CPF written in full is clear without context
my %plain = map { $_ => 1 } qw(uk_nino us_mbi fr_nir es_dni it_fiscal_code sg_nric);
my @neutral = ('the number is %s, thanks', 'see %s', 'value %s in the export', 'ref %s');

binmode STDOUT, ':utf8';
print "# type\ttext (raw JSON string content)\texpected (1: found, 0: nothing found)\n";
print "# generated by tests/data/gen-pii-natid.pl\n";
for my $t (sort keys %T) {
    my ($gen, $fmt, $ctx) = @{$T{$t}};
    for (1 .. 44) { print "$t\t", sprintf(pick(@$ctx), $fmt->($gen->(0))), "\t1\n" }
    for (1 .. 30) { print "$t\t", sprintf(pick(@$ctx), $gen->(1)), "\t0\n" }
    next if $plain{$t};
    # a valid number without a context word (CPF: plain digits only)
    for (1 .. 20) { print "$t\t", sprintf(pick(@neutral), $gen->(0)), "\t0\n" }
}
my @other;
for (1 .. 20) { push @other, sprintf 'timestamp %d logged', 1500000000 + rnd(300000000) }
for (1 .. 20) { push @other, sprintf 'order #%09d shipped to you', rnd(999999999) }
for (1 .. 20) { push @other, sprintf 'tracking 1Z%s%s', join('', map { pick('A' .. 'Z') } 1 .. 6), digs(10) }
for (1 .. 20) { push @other, sprintf 'released v%d.%d.%d build %d', rnd(9), rnd(30), rnd(99), rnd(99999) }
for (1 .. 20) { push @other, sprintf 'total %d,%03d.%02d EUR', 1 + rnd(999), rnd(999), rnd(99) }
for (1 .. 20) { push @other, sprintf 'id %08x-%04x-%04x-%04x-%012x', rnd(1 << 30), rnd(65535), rnd(65535), rnd(65535), rnd(1 << 30) }
for (1 .. 20) { push @other, sprintf 'invoice INV%s dated %04d-%02d-%02d', digs(9), 2000 + rnd(25), 1 + rnd(12), 1 + rnd(28) }
for (1 .. 20) { push @other, sprintf 'product SKU %s%s', join('', map { pick('A' .. 'Z') } 1 .. 3), digs(9) }
print "other\t$_\t0\n" for @other;

# codice fiscale omocodia: the Agenzia's order (from the right: 1 to 6
# letters), letters in the year only, in the day only, random subsets;
# look-alikes: a wrong check letter, a letter outside L-V for a digit, an
# impossible day (32-40, 72-80) with a right check letter.  All 7 digits
# as letters cannot be found (no digit starts the candidate search).
my @cf_ctx = @{$T{it_fiscal_code}[2]};
my @cf_shapes = ((map { [@cf_digits[7 - $_ .. 6]] } 1 .. 6), [6], [7], [6, 7], [9], [10], [9, 10], [6, 7, 9, 10]);
for my $p (@cf_shapes) { for (1 .. 3) {
    my $s = omocodia(cf_body(), @$p); print "it_fiscal_code\t", sprintf(pick(@cf_ctx), $s . chr(65 + cf_check($s))), "\t1\n" } }
for (1 .. 40) {
    my @p = grep { rnd(2) } @cf_digits; @p = (7) unless @p; @p = @p[0 .. 5] if @p == 7;
    my $s = omocodia(cf_body(), @p); print "it_fiscal_code\t", sprintf(pick(@cf_ctx), $s . chr(65 + cf_check($s))), "\t1\n" }
for (1 .. 20) {
    my $s = omocodia(cf_body(), grep { rnd(2) } @cf_digits); my $c = (cf_check($s) + 1 + rnd(25)) % 26;
    print "it_fiscal_code\t", sprintf(pick(@cf_ctx), $s . chr(65 + $c)), "\t0\n" }
for (1 .. 20) {
    my $s = omocodia(cf_body(), grep { rnd(2) } @cf_digits); substr($s, pick(@cf_digits), 1) = pick(split //, 'ABCDEFGHIJKWXYZ');
    print "it_fiscal_code\t", sprintf(pick(@cf_ctx), $s . chr(65 + cf_check($s))), "\t0\n" }
for (1 .. 20) {
    my $s = omocodia(cf_body(pick(32 .. 40, 72 .. 80)), grep { rnd(2) } @cf_digits);
    print "it_fiscal_code\t", sprintf(pick(@cf_ctx), $s . chr(65 + cf_check($s))), "\t0\n" }
