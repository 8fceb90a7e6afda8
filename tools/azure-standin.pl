#!/usr/bin/perl
#
# A local stand-in for Azure OpenAI, for `make run`: it prints every
# request it receives (request line, X-AzOAI-* headers, body exactly as
# received) and answers like Azure would: a chat completion with usage, or
# an event stream when the body asks for "stream": true.  The answer also
# carries the body it received, so curl shows what left the edge.
#
# usage: azure-standin.pl PORT

use strict;
use warnings;

use IO::Socket::INET;
use POSIX ();

my $port = shift or die "usage: $0 PORT\n";

my $server = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1',
    LocalPort => $port,
    Listen    => 64,
    ReuseAddr => 1,
) or die "stand-in: cannot listen on 127.0.0.1:$port: $!\n";

$SIG{CHLD} = sub { 1 while waitpid(-1, POSIX::WNOHANG()) > 0 };
$| = 1;

print "stand-in Azure OpenAI listening on 127.0.0.1:$port\n";

while (1) {
    my $client = $server->accept or next;
    my $pid = fork;
    if (!defined $pid) { close $client; next }
    if ($pid == 0) { serve($client); exit 0 }
    close $client;
}

sub serve {
    my ($c) = @_;
    binmode $c;

    while (1) {
        my $head = '';
        while ($head !~ /\r\n\r\n/) {
            my $n = sysread($c, $head, 4096, length $head);
            return if !$n;
        }

        my ($hdr, $rest) = split /\r\n\r\n/, $head, 2;
        my ($line, @lines) = split /\r\n/, $hdr;
        my %h;
        for (@lines) { my ($k, $v) = split /:\s*/, $_, 2; $h{lc $k} = $v }

        my $body = $rest;
        if (defined $h{'content-length'}) {
            while (length $body < $h{'content-length'}) {
                my $n = sysread($c, $body, 65536, length $body);
                return if !$n;
            }
        } elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
            $body = read_chunked($c, $body);
        }

        print "--- $line\n";
        for my $k (sort grep { /^x-azoai-/ } keys %h) {
            print "    $k: $h{$k}\n";
        }
        print "    body: $body\n" if length $body;

        my $stream = $body =~ /"stream"\s*:\s*true/;
        respond($c, $body, $stream);

        return if ($h{connection} // '') =~ /close/i;
    }
}

sub read_chunked {
    my ($c, $buf) = @_;
    my $body = '';
    while (1) {
        while ($buf !~ /\r\n/) { sysread($c, $buf, 65536, length $buf) or return $body }
        $buf =~ s/^([0-9a-fA-F]+)[^\r]*\r\n// or return $body;
        my $size = hex $1;
        while (length $buf < $size + 2) { sysread($c, $buf, 65536, length $buf) or return $body }
        $body .= substr($buf, 0, $size);
        substr($buf, 0, $size + 2) = '';
        return $body if $size == 0;
    }
}

sub json_string {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
    return "\"$s\"";
}

sub respond {
    my ($c, $body, $stream) = @_;
    my $echo = json_string($body);

    if (!$stream) {
        my $json = '{"id":"chatcmpl-standin","object":"chat.completion",'
            . '"model":"gpt-4o-2024-11-20","choices":[{"index":0,'
            . '"message":{"role":"assistant","content":"stand-in reply"},'
            . '"finish_reason":"stop"}],"usage":{"prompt_tokens":12,'
            . '"completion_tokens":3,"total_tokens":15},'
            . "\"received_body\":$echo}";
        print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            . "Content-Length: " . length($json) . "\r\n\r\n$json";
        return;
    }

    print $c "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n";
    my @events = (
        '{"id":"","choices":[],"prompt_filter_results":[]}',
        '{"id":"c1","choices":[{"index":0,"delta":{"content":"stand-in"}}]}',
        '{"id":"c1","choices":[{"index":0,"delta":{"content":" reply"}}]}',
        '{"id":"c1","choices":[],"usage":{"prompt_tokens":12,'
            . '"completion_tokens":2,"total_tokens":14}}',
        '[DONE]',
    );
    for my $e (@events) {
        my $chunk = "data: $e\n\n";
        printf $c "%x\r\n%s\r\n", length $chunk, $chunk;
        select(undef, undef, undef, 0.05);
    }
    print $c "0\r\n\r\n";
}
