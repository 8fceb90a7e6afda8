#!/usr/bin/perl
#
# Writes the benchmark request bodies (make bench, bench/*.sh) into a
# directory, the same bytes on every run: a fixed-seed xorshift32 drives
# the choice of words, names and numbers.  Core Perl only.
#
#   chat-1k-clean.json   1,045 bytes, no PII
#   chat-4k-pii.json     4,246 bytes, 5 PII values
#   chat-64k-pii.json   66,759 bytes, 40 PII values
#
# Each is a chat completions request: a system message, then one user
# message of Latin filler sentences (3 to 10 words) with "Contact: VALUE."
# sentences evenly spaced in it, the values cycling through e-mail, card
# number, IBAN (valid mod-97 and country length), US phone and SSN; then
# "temperature", "max_tokens", "stream" and a 2^53 "seed".  Sizes, PII
# counts and layout follow the bodies the first figures were measured
# with (bench/README.md).  The 1 MB PII-free prompt of the engine
# benchmark is built by bench_engine itself.
#
# usage: gen-bodies.pl [DIR]     (default: build/bench-bodies)

use strict;
use warnings;

use File::Path qw(make_path);

my $dir = shift // 'build/bench-bodies';

my @BODIES = (
    # name, size in bytes, PII values
    ['chat-1k-clean.json', 1045, 0],
    ['chat-4k-pii.json', 4246, 5],
    ['chat-64k-pii.json', 66759, 40],
);

my @WORDS = qw(
    ab abbas absens absum accedo acervus acidus ad administratio admitto
    admoneo adopto adsidue adstringo adsum adulatio adulescens advoco aegrus
    aeneus aequitas aequus aer ager aggero aiunt alioqui alius alter altus
    alveus ambulo amo amor amoveo amplexus amplitudo amplus angulus annus
    aperiam apostolus appello appono approbo aptus arbustum arca arcesso
    argentum ars arx ascisco ascit assentator assumenda astrum atrox auctor
    auctus auditor autem avarus baiulus bardus bellum bene benevolentia bibo
    bis bos cado caecus caelestis caelum calculus capitulus capto caries
    caste casus catena cavus celebrer celer cenaculum censura chirographum
    cicuta circumvenio civis clamo claro claustrum clementia clibanus
    coadunatio coaegresco coerceo cogito cognomen cohors collum coma combibo
    cometes comitatus commemoro commodo complectus compono comprehendo
    conatus concedo condico conduco confero coniecto conor consequuntur
    conventus copia corpus coruscus cras credo cribro crinis crudelis
    cubicularis cubitum cubo cui cunabula cupiditate cupio cuppedia
    curiositas curis curo curto debeo debitis decens decerno decor decretum
    deduco defaeco defendo defluo defungo degenero degero deinde delectatio
    delicate delinquo demens demitto denego denuncio denuo depono depopulo
    depromo deripio desidero despecto dolorem ea eius enim error est ex
    explicabo fugiat fugit hic id impedit incidunt inflammatio ipsam itaque
    iure labore maxime mollitia natus necessitatibus nemo neque nihil nisi
    nulla numquam ocer odit officia officiis optio paens patior pecto peior
    placeat possimus provident quasi quibusdam quo quod ratione rem repellat
    repellendus rerum saepe sed sit socius sodalitas soleo solitudo solium
    sollers solvo somnus sopor sortitus spargo statim sublime succurro
    summopere super suppellex supplanto suus tabgo tempus tredecim tristis
    tum utroque venia vesco vesper vinculum vinitor virga volubilis
    voluptate voveo
);

my @FIRST = qw(Dulce Lempi Trystan Ursula Myrtie Briana Greg Pat Jordon
    Alena Keon Maude Elvis Noemi Otto Rosa);
my @LAST = qw(Johns Adams Smith Kuhn Becker Walsh Ortiz Reyes);
my @MAIL = qw(yahoo.com hotmail.com gmail.com example.org);

# country, IBAN length
my @IBAN = ([LI => 21], [FI => 18], [RO => 24], [AD => 24], [MT => 31],
            [BH => 22], [GT => 28], [ME => 22], [QA => 29], [DE => 22],
            [FR => 27], [NL => 18]);

my $state = 0x2545f491;

# xorshift32: the same sequence on every platform and Perl version
sub rnd {
    my ($n) = @_;

    $state ^= ($state << 13) & 0xffffffff;
    $state ^= $state >> 17;
    $state ^= ($state << 5) & 0xffffffff;
    return $state % $n;
}

sub pick { return $_[rnd(scalar @_)] }

sub sentence {
    my @w = map { pick(@WORDS) } 1 .. 3 + rnd(8);
    return ucfirst(join ' ', @w) . '.';
}

sub iban {
    my ($cc, $len) = @{$_[0]};
    my $bban = '';

    # mostly digits, some upper-case letters, as real BBANs have
    for (1 .. $len - 4) {
        $bban .= rnd(5) ? rnd(10) : chr(ord('A') + rnd(26));
    }
    my $num = join '', map { /\d/ ? $_ : ord($_) - 55 }
                       split //, "$bban${cc}00";
    my $mod = 0;
    $mod = ($mod * 10 + $_) % 97 for split //, $num;
    my $iban = sprintf('%s%02d%s', $cc, 98 - $mod, $bban);
    return join ' ', unpack('(A4)*', $iban);
}

sub email {
    my $f = pick(@FIRST);
    my $k = rnd(3);
    my $local = $k == 0 ? $f . '.' . pick(@LAST)
              : $k == 1 ? $f . (10 + rnd(90))
              : $f . '_' . pick(@LAST);
    return $local . '@' . pick(@MAIL);
}

# the n-th PII value (0-based): types in turn, numbers moving on per round
sub pii {
    my ($n) = @_;
    my $round = int($n / 5);

    return (
        sub { email() },
        sub { '4111 1111 1111 1111' },
        sub { iban($IBAN[$round % @IBAN]) },
        sub { sprintf('+1 415-555-%04d', 113 + 5 * $round) },
        sub { sprintf('SSN 536-22-%04d', 1004 + 5 * $round) },
    )[$n % 5]->();
}

sub body {
    my ($size, $npii) = @_;
    my $head = '{"messages":[{"role":"system","content":"You are a helpful '
        . q(assistant for a bank's support desk. Answer briefly."},)
        . '{"role":"user","content":"';
    my $tail = '"}],"temperature":0.2,"max_tokens":512,"stream":false,'
        . '"seed":9007199254740992}';
    my $room = $size - length($head) - length($tail);
    my ($text, $done) = ('', 0);

    die "size $size is too small\n" if $room < 64;

    # sentences until the last one must fill the room exactly
    while (length($text) < $room - 96) {
        my $s;
        # PII value k goes after (k + 1) / (n + 1) of the text
        if ($done < $npii && length($text) >= $room * ($done + 1)
                                               / ($npii + 1))
        {
            $s = 'Contact: ' . pii($done++) . '.';
        } else {
            $s = sentence();
        }
        $text .= length($text) ? " $s" : $s;
    }
    die "only $done of $npii PII values placed\n" if $done != $npii;

    my $left = $room - length($text) - 1;     # the space before it
    my $last = '';
    $last .= ($last eq '' ? '' : ' ') . pick(@WORDS)
        while length($last) < $left;
    $last = ucfirst(substr($last, 0, $left - 1));
    $last =~ s/ $/a/;
    $text .= " $last.";

    my $body = $head . $text . $tail;
    die "body is " . length($body) . " bytes, not $size\n"
        if length($body) != $size;
    return $body;
}

make_path($dir);

for my $b (@BODIES) {
    my ($name, $size, $npii) = @$b;
    my $path = "$dir/$name";

    open my $fh, '>:raw', "$path.tmp" or die "$path.tmp: $!\n";
    print $fh body($size, $npii);
    close $fh or die "$path.tmp: $!\n";
    rename "$path.tmp", $path or die "$path: $!\n";
}
