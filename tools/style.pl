#!/usr/bin/perl
# The style rules a compiler does not check, over the module's C files:
# lines of at most 80 columns, no tabs, no trailing blanks, and function
# bodies of at most 80 lines unless the line above the function's return
# type says why ("/* long: ... */", for a state machine).
#
# usage: tools/style.pl FILE.c ...   (exit 1 on a violation)

use strict;
use warnings;

my $max_body = 80;
my $bad = 0;

for my $file (@ARGV) {
    open my $fh, '<', $file or die "$file: $!\n";
    my @lines = <$fh>;
    close $fh;

    my ($name, $start, $allowed);

    for my $i (0 .. $#lines) {
        my $l = $lines[$i];
        my $n = $i + 1;

        chomp $l;

        if (length $l > 80) {
            print "$file:$n: longer than 80 columns\n";
            $bad = 1;
        }

        if ($l =~ /\t/) {
            print "$file:$n: tab\n";
            $bad = 1;
        }

        if ($l =~ /[ \t]$/) {
            print "$file:$n: trailing blank\n";
            $bad = 1;
        }

        # a definition: name at column 0 followed by "(", then "{" alone
        if (!defined $name && $l =~ /^([A-Za-z_]\w*)\(/) {
            $name = $1;
            $allowed = said_why(\@lines, $i - 2);
            next;
        }

        if (defined $name && !defined $start && $l eq '{') {
            $start = $n;
            next;
        }

        if (defined $start && $l eq '}') {
            my $len = $n - $start - 1;

            if ($len > $max_body && !$allowed) {
                print "$file:$start: $name() has $len lines (at most "
                      . "$max_body, or say why in the comment above)\n";
                $bad = 1;
            }

            undef $name;
            undef $start;
        }

        # a prototype or a call at column 0 ends with ";"
        undef $name if defined $name && !defined $start && $l =~ /;\s*$/;
    }
}

exit $bad;


# the comment block that ends at line $j (0-based) says why a function is
# long
sub said_why {
    my ($lines, $j) = @_;
    my $text = '';

    $j-- while $j >= 0 && $lines->[$j] =~ /^\s*$/;

    return 0 if $j < 0 || $lines->[$j] !~ m{\*/\s*$};

    while ($j >= 0 && $lines->[$j] =~ m{^\s*(/\*|\*)}) {
        $text = $lines->[$j] . $text;
        last if $lines->[$j] =~ m{^\s*/\*};
        $j--;
    }

    return $text =~ /state machine|\blong:/;
}
