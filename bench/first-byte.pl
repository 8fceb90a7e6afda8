# Time to the first byte and to the last byte of a response, read from the
# socket: a new connection per request, the request sent in one write
# ("Connection: close"), the times taken from the moment it is sent to the
# first read that returns bytes and to the close.  The variants by turns
# so that the machine's drift hits all alike.
#
# Not curl's %{time_starttransfer}: curl 7.88 takes it after it has
# handled its first read of up to 100 KB, so on a large response that
# arrives at once it moves with how fast the rest arrived (plain
# proxy_pass of the 325 KB stream of bench/restore.sh: 1.1-1.6 ms with
# curl where its first bytes reach the socket after 0.27 ms).
#
# usage: perl first-byte.pl BODY PATH WARMUP RUNS OUTDIR V=PORT...
#   writes OUTDIR/last.V: "first last" (seconds) of the last RUNS
#   requests to PORT; a response that is not 200 ends the run
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time);

my ($file, $path, $warmup, $runs, $dir, @variants) = @ARGV;
@variants or die "usage: first-byte.pl BODY PATH WARMUP RUNS OUTDIR V=PORT...";
open my $f, '<', $file or die "$file: $!";
my $body = do { local $/; <$f> };
my %times;

for my $turn (1 .. $warmup + $runs) {
    for my $v (@variants) {
        my ($name, $port) = split /=/, $v;
        my @t = request($port);
        push @{ $times{$name} }, "@t\n" if $turn > $warmup;
    }
}

for my $v (@variants) {
    my ($name) = split /=/, $v;
    open my $o, '>', "$dir/last.$name" or die "$dir/last.$name: $!";
    print $o @{ $times{$name} };
    close $o;
}

sub request {
    my ($port) = @_;
    my ($buf, $head, $first, $n) = ('', '');
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
        or die "127.0.0.1:$port: $!";
    my $req = "POST $path HTTP/1.1\r\nHost: bench\r\n"
        . "Content-Type: application/json\r\nConnection: close\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n$body";
    my $t0 = time;
    syswrite($s, $req) == length $req or die "write: $!";
    while ($n = sysread($s, $buf, 1 << 20)) {
        $first //= time;
        $head .= $buf if length $head < 16;
    }
    defined $n or die "read: $!";
    my $t1 = time;
    $head =~ m{^HTTP/1\.[01] 200 } or die "127.0.0.1:$port: not 200\n";
    return ($first - $t0, $t1 - $t0);
}
