# The upload client of bench/upload.sh: N uploads of FILE (a multipart
# body built beforehand) over one keep-alive connection, each sent from
# memory in writes of 1 MB and its answer read to its end; prints the
# seconds of each upload, one a line.  curl reads the file it uploads in
# 64 KB pieces and tops out at ~207 MB/s on the 2-core bench VM, below
# the 300 MB/s goal: this client is not the ceiling of what it measures
# (upload.sh prints both, straight to the stand-in).  An answer that is
# not 200 ends the run.
#
# usage: perl upload-client.pl PORT FILE N CONTENT_TYPE [PATH]
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_SNDBUF);
use Time::HiRes qw(time);

my ($port, $file, $n, $ctype, $path) = @ARGV;
die "usage: upload-client.pl PORT FILE N CONTENT_TYPE [PATH]\n"
    unless defined $ctype;
$path //= '/openai/v1/files';

my $write = 1024 * 1024;

open my $f, '<:raw', $file or die "$file: $!";
my $body = do { local $/; <$f> };
close $f;

my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die $!;
setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1) or die $!;
setsockopt($s, SOL_SOCKET, SO_SNDBUF, 4 * $write) or die $!;

for (1 .. $n) {
    my $t0 = time;
    my $head = "POST $path HTTP/1.1\r\nHost: bench\r\n"
        . "Content-Type: $ctype\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n";
    send_all(\$head, 0, length $head);

    for (my $off = 0; $off < length $body; $off += $write) {
        my $len = length($body) - $off;
        send_all(\$body, $off, $len < $write ? $len : $write);
    }

    my $buf = '';
    while ($buf !~ /\r\n\r\n/) {
        sysread($s, $buf, 65536, length $buf) or die "closed\n";
    }
    my ($h, $rest) = split /\r\n\r\n/, $buf, 2;
    $h =~ m{^HTTP/1\.1 200 } or die "not 200: $h\n$rest\n";
    my ($len) = $h =~ /^Content-Length: (\d+)/mi;
    defined $len or die "no Content-Length: $h\n";
    while (length $rest < $len) {
        sysread($s, $rest, 65536, length $rest) or die "closed\n";
    }
    printf "%.6f\n", time - $t0;
}

# LEN bytes of $$ref from OFF, however many writes the socket takes
sub send_all {
    my ($ref, $off, $len) = @_;
    while ($len > 0) {
        my $w = syswrite($s, $$ref, $len, $off);
        die "write: $!\n" unless defined $w;
        $off += $w;
        $len -= $w;
    }
}
